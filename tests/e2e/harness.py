"""Shared helpers for the end-to-end tests: free ports, the exporter process, /metrics reads."""
import gzip
import http.server
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackServer:
    """A threaded HTTP (or HTTPS) server on 127.0.0.1 that a test starts and always stops."""

    def serve(self, port, handler, tls_dir=None):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        if tls_dir:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(os.path.join(tls_dir, "server.crt"), os.path.join(tls_dir, "server.key"))
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class PushgatewayRecorder(LoopbackServer):
    """A Pushgateway on 127.0.0.1 that answers every PUT 200 and keeps what was pushed:
    `pushes` as (path, body text), `bodies` the texts alone."""

    def __init__(self, port):
        self.pushes, self.bodies = [], []
        recorder = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_PUT(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                recorder.pushes.append((self.path, body))
                recorder.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.serve(port, H)
        self.start()


def http_get(url, headers=None, timeout=5):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} for every sample."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


class Exporter:
    """The real binary on a free loopback port; always stopped by the caller (context manager)."""

    def __init__(self, binary, env, args=(), log_path=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBECOST", "TENANT"))}
        full_env.update(env)
        self.log_path = log_path or f"/tmp/kci-e2e-{self.port}.log"
        self.log = open(self.log_path, "w+b")
        self.proc = subprocess.Popen(
            [binary, "serve", "--web.listen-address", f"127.0.0.1:{self.port}", *args],
            env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if http_get(self.base + "/healthz", timeout=1)[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("exporter did not come up:\n" + self.logs())

    def metrics(self, gzip_ok=False):
        headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
        status, hdrs, body = http_get(self.base + "/metrics", headers)
        assert status == 200, status
        assert hdrs.get("Content-Type", "").startswith("text/plain; version=0.0.4"), hdrs
        if hdrs.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode("utf-8")

    def wait_for(self, predicate, what, timeout=40):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, "exporter exited:\n" + self.logs()
            m = parse_metrics(self.metrics())
            if predicate(m):
                return m
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}\n" + self.logs()[-3000:])

    def logs(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=5):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.stop()
        except subprocess.TimeoutExpired:
            pass
        self.log.close()


def cost_text(text):
    """The cost series of a /metrics text: without the self metrics (cloudtuner_kubecost_exporter_*,
    process_*), which are rendered at each request and so differ between two reads."""
    keep = []
    for line in text.splitlines():
        name = line.split(" ", 3)[2] if line.startswith("# ") and len(line.split(" ")) > 2 else line
        if name.startswith(("cloudtuner_kubecost_exporter_", "process_")):
            continue
        keep.append(line)
    return "\n".join(keep)


def value(m, name, **labels):
    return m.get((name, frozenset(labels.items())))


def errors(m, reason):
    return value(m, "cloudtuner_kubecost_exporter_scrape_errors_total", reason=reason) or 0
