#!/usr/bin/env python3
"""End to end: the real binary against the peers it calls turned hostile (issue 21).

A raw-socket peer plays Kubecost (or the ingress in front of it) and the Kubernetes API server,
and answers with: a 30 000-byte reason phrase (cpp-httplib 0.11's status-line regex overflowed
the stack on it: SIGSEGV), a status line, header lines or a chunk-size line that never end,
200 header fields, bytes that are not HTTP, and a 401 page that reflects the request's headers
(bearer token, headers-file cookie, basic-auth credentials). s3-export's S3 and STS get the
same treatment in test_s3_export_hostile_e2e.py; doctor gets it here.

For serve mode each case asserts: the process is alive and still serves /metrics (no crash);
the poll failure is counted with the stated reason; its peak RSS (VmHWM) stays under the chart's
memory limit (128Mi for the allocation exporter); no secret reaches the log, the landing page or
/readyz (which shows fixed words and the reason label only); SIGTERM ends it within 5 s with
exit 0. With leader election on against a hostile API server: no crash, bounded memory, no
cost series published (it never leads), SIGTERM within 5 s. doctor: exit 1, not a signal.
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Exporter, errors, free_port, http_get, parse_metrics  # noqa: E402

CHART_LIMIT_KIB = 128 * 1024  # charts/kubecost-integration/values.yaml allocationExporter limit
TOKEN = "bearer-secret-token-5b1e"
COOKIE = "cookie-secret-value-77aa"
USER, PASSWORD = "scraper", "basic-secret-password-3c9d"
BASIC_B64 = "c2NyYXBlcjpiYXNpYy1zZWNyZXQtcGFzc3dvcmQtM2M5ZA=="
SECRETS = (TOKEN, COOKIE, PASSWORD, BASIC_B64)


def endless(unit):
    def attack(conn, start):
        conn.sendall(start)
        for _ in range(500_000):  # at most ~2 GB, unless the client hangs up first
            conn.sendall(unit)
    return attack


def once(data):
    def attack(conn, _start):
        conn.sendall(data)
    return attack


def reflect(conn, request):
    page = b"<h1>401 Unauthorized</h1><pre>" + request + b"</pre>"
    conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/html\r\nContent-Length: "
                 + str(len(page)).encode() + b"\r\n\r\n" + page)


# name: (what the peer does, the reason the exporter counts, the start bytes for endless ones)
ATTACKS = {
    "long-reason": (once(b"HTTP/1.1 502 " + b"R" * 30_000 + b"\r\nContent-Length: 0\r\n\r\n"),
                    "http_status"),
    "endless-status-line": (endless(b"S" * 4096), "too_large", b"HTTP/1.1 200 "),
    "endless-header-lines": (endless(b"X-Pad: " + b"a" * 4000 + b"\r\n"), "too_large",
                             b"HTTP/1.1 200 OK\r\n"),
    "endless-chunk-size-line": (endless(b"e" * 4096), "parse",
                                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;"),
    "200-fields": (once(b"HTTP/1.1 200 OK\r\n" + b"A: b\r\n" * 200 + b"Content-Length: 2\r\n\r\n{}"),
                   "too_large"),
    "not-http": (once(b"SSH-2.0-OpenSSH_9.2\r\n\r\n"), "parse"),
    "reflecting-401": (reflect, "http_status"),
}


class RawPeer:
    """A TCP server on 127.0.0.1 that answers every connection with `attack` (on its own thread
    per connection); stop() closes everything."""

    def __init__(self, port):
        self.sock = socket.create_server(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.attack, self.start_bytes = None, b""
        self.requests = []
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        conn.settimeout(5)
        try:
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                piece = conn.recv(4096)
                if not piece:
                    return
                request += piece
            self.requests.append(request)
            attack = self.attack
            if attack is reflect:
                reflect(conn, request)
            elif attack:
                attack(conn, self.start_bytes)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def no_secret(where, text):
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}:\n{text[-2000:]}"


def serve_case(binary, tmp, name, peer, attack):
    fn, reason = attack[0], attack[1]
    peer.attack, peer.start_bytes = fn, (attack[2] if len(attack) > 2 else b"")
    peer.requests.clear()
    env = {"KUBECOST_URL": f"http://127.0.0.1:{peer.sock.getsockname()[1]}", "TENANT_ID": "t",
           "SCRAPE_INTERVAL": "10s", "SCRAPE_JITTER_MAX": "0", "KUBECOST_RETRIES": "0",
           "KUBECOST_TIMEOUT": "20s", "LOG_FORMAT": "logfmt",
           "KUBECOST_BEARER_TOKEN_FILE": os.path.join(tmp, "token"),
           "KUBECOST_HEADERS_FILE": os.path.join(tmp, "headers")}
    if name == "reflecting-401":  # basic auth instead of the bearer token: both are secrets
        del env["KUBECOST_BEARER_TOKEN_FILE"]
        env.update(KUBECOST_BASIC_AUTH_USERNAME=USER,
                   KUBECOST_BASIC_AUTH_PASSWORD_FILE=os.path.join(tmp, "password"))
    with Exporter(binary, env, log_path=os.path.join(tmp, f"serve-{name}.log")) as e:
        m = e.wait_for(lambda m: errors(m, reason) >= 1, f"{name}: a {reason} failure", timeout=40)
        assert e.proc.poll() is None, e.logs()
        rss = peak_rss_kib(e.proc.pid)
        status, _, ready = http_get(e.base + "/readyz")
        assert status == 200, (status, ready)  # ready whatever Kubecost does (issue 22)
        ready = ready.decode()
        assert ready == f"ready (no cost data yet; last poll failed: {reason})\n", ready
        _, _, page = http_get(e.base + "/")
        assert peer.requests, "the peer saw no request"
        sent = b"".join(peer.requests).decode("latin-1")
        assert (TOKEN in sent or BASIC_B64 in sent) and COOKIE in sent, sent  # the secrets went out
        for where, text in (("the log", e.logs()), ("/", page.decode()), ("/readyz", ready)):
            no_secret(where, text)
        assert "R" * 100 not in e.logs(), "the reason phrase reached the log"
        assert rss < CHART_LIMIT_KIB, (name, rss)
        t0 = time.time()
        rc = e.stop(timeout=5)
        took = time.time() - t0
        assert rc == 0, (rc, e.logs()[-2000:])
    print(f"  serve, {name}: {reason} counted, peak RSS {rss // 1024} MiB, exit 0 "
          f"{took * 1000:.0f} ms after SIGTERM, no secret in log, / or /readyz")
    return m


def election_case(binary, tmp, name, peer, kubecost_port):
    fn = ATTACKS[name]
    peer.attack, peer.start_bytes = fn[0], (fn[2] if len(fn) > 2 else b"")
    kubeconfig = os.path.join(tmp, "kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
current-context: e2e
contexts:
- name: e2e
  context: {{cluster: standin, user: exporter, namespace: kubecost}}
clusters:
- name: standin
  cluster:
    server: http://127.0.0.1:{peer.sock.getsockname()[1]}
users:
- name: exporter
  user:
    tokenFile: token
""")
    env = {"KUBECOST_URL": f"http://127.0.0.1:{kubecost_port}", "TENANT_ID": "t",
           "SCRAPE_INTERVAL": "10s", "SCRAPE_JITTER_MAX": "0", "KUBECOST_RETRIES": "0",
           "LEADER_ELECTION": "true", "POD_NAME": "replica-a",
           "LEADER_ELECTION_LEASE_DURATION": "3s", "LEADER_ELECTION_RENEW_DEADLINE": "2s",
           "LEADER_ELECTION_RETRY_PERIOD": "500ms", "LOG_FORMAT": "logfmt"}
    with Exporter(binary, env, args=("--kubeconfig", kubeconfig),
                  log_path=os.path.join(tmp, f"election-{name}.log")) as e:
        deadline = time.time() + 20
        while time.time() < deadline and len(peer.requests) < 3:
            assert e.proc.poll() is None, e.logs()
            time.sleep(0.1)
        assert len(peer.requests) >= 3, ("the elector did not keep trying", e.logs()[-2000:])
        m = parse_metrics(e.metrics())
        assert m.get(("cloudtuner_kubecost_exporter_leader", frozenset())) == 0, m
        assert not [k for k in m if not k[0].startswith(("cloudtuner_kubecost_exporter_", "process_"))]
        rss = peak_rss_kib(e.proc.pid)
        assert rss < CHART_LIMIT_KIB, (name, rss)
        no_secret("the log", e.logs())
        t0 = time.time()
        rc = e.stop(timeout=5)
        took = time.time() - t0
        assert rc == 0, (rc, e.logs()[-2000:])
    print(f"  election, API server {name}: {len(peer.requests)} tries, never leads, peak RSS "
          f"{rss // 1024} MiB, exit 0 {took * 1000:.0f} ms after SIGTERM")


def doctor_case(binary, tmp, name, peer):
    fn = ATTACKS[name]
    peer.attack, peer.start_bytes = fn[0], (fn[2] if len(fn) > 2 else b"")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBECOST", "TENANT"))}
    env.update(KUBECOST_URL=f"http://127.0.0.1:{peer.sock.getsockname()[1]}", TENANT_ID="t",
               KUBECOST_RETRIES="0", KUBECOST_BEARER_TOKEN_FILE=os.path.join(tmp, "token"))
    p = subprocess.run([binary, "doctor"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, (name, p.returncode, p.stdout, p.stderr)
    no_secret("doctor's output", p.stdout + p.stderr)
    print(f"  doctor, {name}: exit 1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kci-hostile-peers-")
    with open(os.path.join(tmp, "token"), "w") as f:
        f.write(TOKEN + "\n")
    with open(os.path.join(tmp, "headers"), "w") as f:
        f.write(f"Cookie: session={COOKIE}\n")
    with open(os.path.join(tmp, "password"), "w") as f:
        f.write(PASSWORD + "\n")
    peer = RawPeer(free_port())
    quiet = RawPeer(free_port())  # a Kubecost that never answers usefully, for the elector
    quiet.attack = once(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
    checks = 0
    try:
        for name, attack in ATTACKS.items():
            serve_case(args.binary, tmp, name, peer, attack)
            checks += 1
        for name in ("long-reason", "endless-header-lines", "not-http"):
            election_case(args.binary, tmp, name, peer, quiet.sock.getsockname()[1])
            checks += 1
        for name in ("long-reason", "endless-status-line"):
            doctor_case(args.binary, tmp, name, peer)
            checks += 1
    finally:
        peer.stop()
        quiet.stop()
    print(f"ok: {checks} hostile-peer cases")


if __name__ == "__main__":
    main()
