#!/usr/bin/env python3
"""Hostile clients against the real allocation-exporter, over plain HTTP and over TLS.

Replays every attack of the security issue (each of which took down, corrupted or leaked from
the old server) and proves it is now harmless:

  Range        bytes=0-0,99999999-99999999; gzip + bytes=0-50000000; bytes=0-2000000 (and a
               few more shapes): a 200 with exactly the published body, nothing after it, no
               worker left spinning (process CPU measured afterwards);
  slow clients 4 idle connections, 4 clients dripping a header line every 5 s, 4 slow
               readers, 4 keep-alive clients re-requesting: /healthz answers in < 1 s during
               each, /metrics stays exact; the idle and the dripping ones are cut by the
               first-request deadline (closed by 15 s);
  combined     256 idle + 16 dripping (a line every 2 s) + 16 slow readers (1 KiB/s of the
               multi-MB /metrics) at once: /healthz < 1 s, RSS bounded; then SIGTERM < 5 s;
  SIGTERM      < 5 s with idle, with dripping and with slow-reading clients connected;
  headers      ~11 MB of headers x4: 431 or closed, RSS stays low; 200 header fields: 431
               (and 100 fields / 15 KiB pass, 101 / 17 KiB do not);
  bodies       a GET with a body (Content-Length or chunked): 400;
  deadlines    idle and dripping connections cut by 15 s, an idle keep-alive one by 45 s;
  cap          600 idle connections (twice): the oldest waiting ones are evicted, busy ones
               kept, /healthz answers, RSS bounded and not growing;
  bcrypt       100 concurrent wrong passwords: /healthz still < 1 s (401 or 503 each);
  bind         a second instance on the same port exits 2 with one "cannot listen" line;
               a SO_REUSEPORT socket cannot bind the port either;
  signals      SIGHUP (reloads the web config when there is one), SIGUSR1, SIGUSR2: alive.

Every loop is bounded in count and time; every process, thread and socket is cleaned up in
finally blocks. 127.0.0.1 only. Prints the measured figures at the end.
"""
import argparse
import gzip
import os
import re
import resource
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Exporter, free_port  # noqa: E402

MiB = 1024 * 1024
HOST = "127.0.0.1"
DEMO_PODS = 20000

# The acceptance criterion: /healthz answers within 1 s while under attack. The
# measured figure on an idle loopback is a few ms (TLS handshake included), so 1 s is generous
# for a shared 2-core machine and still fails at once if a client can hold the event loop.
HEALTHZ_BOUND_S = 1.0
# Measured with --demo.pods 20000 --pod-metrics.top-n 10000 (an 8.9 MB text body, 0.7 MB gzip):
# VmRSS ~20 MiB between polls, VmHWM ~45 MiB (the peak is the demo poll itself: it builds the
# 20000-pod JSON and parses it); under the combined attack (290 connections, 16 slow readers,
# TLS) VmRSS stays in the low 20s MiB. 64 MiB leaves room for allocator noise and a slower
# poll while the old server reached 448 MiB with the header flood alone.
RSS_BOUND_MIB = 64
# At the connection cap (512) TLS costs more than the 64 MiB: measured ~84 KiB per TLS
# connection before its ClientHello (Asio's two 17 KiB record buffers, OpenSSL's BIO pair of
# two 17 KiB buffers, the SSL object), ~110 KiB once handshaken, ~120 KiB with 15 KiB of
# headers buffered: 512 of those took VmRSS from 21 to 80.6 MiB, and glibc keeps that heap
# after they close (it is reused: 12 rounds of 500 connections level off at +62 MiB, no
# leak). Bounded by the cap, so the cap case gets its own bound; plain HTTP stays < 64 MiB.
RSS_CAP_BOUND_MIB = {"plain": 64, "tls": 96}
# The cap case runs twice; a per-connection leak of >= 28 KiB would add >= 16 MiB the second
# time (measured: +0 MiB plain, +3..7 MiB TLS while glibc's heap settles).
RSS_LEAK_BOUND_MIB = 16
# What one attack may add to the resident size once it is over (allocator caches, TLS session
# state): the header flood is 44 MB of headers in flight; anything near that fails.
RSS_GROWTH_BOUND_MIB = 8
# SIGTERM must end the process within 5 s whatever the clients do (issue acceptance).
SIGTERM_BOUND_S = 5.0
# The first-request deadline is 10 s (web_server.hpp); the test only asserts "cut by 15 s" and
# "not cut in the first 5 s" (the deadline is not zero), never the exact figure.
CUT_BY_S = 15.0
NOT_BEFORE_S = 5.0

FIGURES = []   # (mode, case, text) for the summary
FAILURES = []  # (mode, case, text)


# ---------------------------------------------------------------------------------------------
# Sockets and HTTP/1.1 responses, by hand: the test must see every byte the server sends.

class Target:
    """How to reach one exporter: plain TCP or TLS trusting the fixture CA."""

    def __init__(self, port, tls_ctx=None):
        self.port = port
        self.tls_ctx = tls_ctx

    def tcp(self, timeout=5.0, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.settimeout(timeout)
            s.connect((HOST, self.port))
            return s
        except BaseException:
            s.close()
            raise

    def connect(self, timeout=5.0, rcvbuf=None):
        """A connection ready for HTTP: TCP, plus the TLS handshake in TLS mode."""
        s = self.tcp(timeout, rcvbuf)
        if not self.tls_ctx:
            return s
        try:
            return self.tls_ctx.wrap_socket(s, server_hostname=HOST)
        except BaseException:
            s.close()
            raise


def hard_close(s):
    if s is None:
        return
    try:
        s.close()
    except OSError:
        pass


def readable(sock, timeout):
    """poll(), not select(): with 600 sockets open the descriptors pass FD_SETSIZE."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    p = select.poll()
    p.register(sock.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(p.poll(max(0, int(timeout * 1000))))


class Incomplete(Exception):
    pass


class Response:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body
        self.raw_head = raw_head

    def header(self, name):
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(vals) <= 1, f"header {name} repeated: {vals}"
        return vals[0] if vals else None

    def __repr__(self):
        return f"<{self.status} {self.reason} {len(self.body)} bytes {self.raw_head[:300]!r}>"


STATUS_LINE = re.compile(r"^HTTP/1\.1 (\d{3}) ([ -~]*)$")


def parse_response(data, head_only=False):
    """One complete response at the start of `data` -> (Response, the bytes after it).
    Raises Incomplete when more bytes are needed, AssertionError when it is not valid HTTP."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        assert len(data) < 64 * 1024, f"no end of headers in {len(data)} bytes: {data[:200]!r}"
        raise Incomplete()
    head = data[:end].decode("latin-1")
    lines = head.split("\r\n")
    m = STATUS_LINE.match(lines[0])
    assert m, f"not an HTTP/1.1 status line: {lines[0]!r} (bytes: {data[:200]!r})"
    headers = []
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        assert sep and k and re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", k), f"bad header {line!r}"
        headers.append((k, v.strip()))
    r = Response(int(m.group(1)), m.group(2), headers, b"", data[:end + 4])
    assert r.header("Transfer-Encoding") is None, r
    cl = r.header("Content-Length")
    assert cl is not None and cl.isdigit(), f"no valid Content-Length: {r}"
    n = 0 if head_only else int(cl)
    body_end = end + 4 + n
    if len(data) < body_end:
        raise Incomplete()
    r.body = data[end + 4:body_end]
    return r, data[body_end:]


def read_until_close(sock, deadline_s, limit=64 * MiB):
    """Every byte until the server closes; AssertionError if it does not close in time."""
    chunks, total = [], 0
    deadline = time.monotonic() + deadline_s
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"server did not close within {deadline_s} s ({total} bytes read)"
        sock.settimeout(left)
        try:
            b = sock.recv(1 << 20)
        except socket.timeout:
            continue
        if not b:
            return b"".join(chunks)
        chunks.append(b)
        total += len(b)
        assert total <= limit, f"more than {limit} bytes"


def exchange(target, request, deadline_s=10.0):
    """Sends `request` (which asks for Connection: close), reads until the server closes and
    asserts the bytes are exactly one response: nothing before, nothing after."""
    s = target.connect()
    try:
        s.sendall(request)
        data = read_until_close(s, deadline_s)
    finally:
        hard_close(s)
    try:
        r, rest = parse_response(data, head_only=request.startswith(b"HEAD "))
    except Incomplete:
        raise AssertionError(f"truncated response ({len(data)} bytes): {data[:300]!r}")
    assert rest == b"", f"{len(rest)} bytes after the response body: {rest[:200]!r}"
    return r


def read_response(sock, buf, deadline_s=10.0):
    """One response on a keep-alive connection -> (Response, bytes already read after it)."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return parse_response(buf)
        except Incomplete:
            pass
        left = deadline - time.monotonic()
        assert left > 0, f"no complete response within {deadline_s} s ({len(buf)} bytes)"
        sock.settimeout(left)
        try:
            b = sock.recv(1 << 20)
        except socket.timeout:
            continue
        assert b, f"server closed mid-response after {len(buf)} bytes: {buf[:200]!r}"
        buf += b


def assert_quiet(sock, rest, wait_s=0.3):
    """Nothing more arrives on a keep-alive connection after a complete response."""
    assert rest == b"", f"{len(rest)} bytes after the body: {rest[:200]!r}"
    if readable(sock, wait_s):
        sock.settimeout(0.5)
        try:
            extra = sock.recv(65536)
        except (socket.timeout, OSError) as e:
            extra = repr(e).encode()
        assert extra == b"", f"{len(extra)} unexpected bytes after the body: {extra[:200]!r}"


def req(path="/metrics", headers=(), close=True, method="GET"):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# ---------------------------------------------------------------------------------------------
# The exporter process (harness.Exporter's logs/stop/cleanup, with a TLS-aware start).

def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def clean_env():
    """No configuration from the caller's environment: every setting comes from the flags."""
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}


class HostileExporter(Exporter):
    def __init__(self, binary, fixtures, tls, tls_ctx, logdir, port=None, name="exporter",
                 web_config=None):
        self.port = port or free_port()
        self.base = f"{'https' if tls else 'http'}://{HOST}:{self.port}"
        self.target = Target(self.port, tls_ctx if tls else None)
        self.web_config = web_config or (
            os.path.join(fixtures, "web_config", "tls.good.yaml") if tls else None)
        args = [binary, "serve", "--demo", "--demo.pods", str(DEMO_PODS),
                "--pod-metrics.enabled", "true", "--pod-metrics.top-n", "10000",
                # one poll at start, the next in 10 min: the published text stays fixed
                "--scrape.interval", "600s", "--scrape.jitter-max", "0s",
                "--web.listen-address", f"{HOST}:{self.port}"]
        if self.web_config:
            args += ["--web.config.file", self.web_config]
        env = clean_env()
        self.log_path = os.path.join(logdir, f"{name}-{'tls' if tls else 'plain'}-{self.port}.log")
        self.log = open(self.log_path, "w+b")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(30)
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "exporter exited at start:\n" + self.logs()
            try:
                # "ready" alone: the first poll published (/readyz is 200 before it, with
                # "ready (no cost data yet)": the listener is up, Kubecost's data is not).
                r = exchange(self.target, req("/readyz"), 2)
                if r.status == 200 and r.body == b"ready\n":
                    return
            except (OSError, AssertionError):
                pass
            time.sleep(0.1)
        raise RuntimeError("exporter not ready in time:\n" + self.logs())

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        assert self.proc.poll() is None, \
            f"exporter died (rc {self.proc.returncode}):\n" + self.logs()[-3000:]

    def rss_mib(self):
        st = proc_status(self.pid)
        return st["VmRSS"] / 1024, st["VmHWM"] / 1024

    def sigterm(self):
        """SIGTERM -> seconds until exit; asserts exit code 0 within SIGTERM_BOUND_S."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=SIGTERM_BOUND_S + 10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"no exit {SIGTERM_BOUND_S + 10} s after SIGTERM:\n" +
                                 self.logs()[-2000:])
        dt = time.monotonic() - t0
        assert rc == 0, f"exit code {rc} after SIGTERM:\n" + self.logs()[-2000:]
        assert dt < SIGTERM_BOUND_S, f"SIGTERM took {dt:.2f} s"
        return dt


# ---------------------------------------------------------------------------------------------
# Checks used by every case.

class Reference:
    """The published cost text, fetched with ordinary requests (plain and gzip). /metrics is the
    cost series published by the last poll, byte for byte, followed by the self metrics rendered
    at that request (they change between requests: counters, process_*)."""

    SELF = b"# HELP cloudtuner_kubecost_exporter_"

    def __init__(self, server):
        r = exchange(server.target, req("/metrics"))
        assert r.status == 200, r
        assert r.header("Content-Type").startswith("text/plain; version=0.0.4"), r
        assert r.header("Content-Encoding") is None, r
        g = exchange(server.target, req("/metrics", [("Accept-Encoding", "gzip")]))
        assert g.status == 200 and g.header("Content-Encoding") == "gzip", g
        at = r.body.find(self.SELF)
        assert at > 0, "no self metrics after the cost series"
        self.costs = r.body[:at]
        self.whole(r.body, "plain")
        self.whole(gzip.decompress(g.body), "gzip")
        assert len(r.body) > 4 * MiB, f"/metrics is only {len(r.body)} bytes: not multi-MB"
        self.plain, self.gzip = r.body, g.body

    def whole(self, text, what):
        """The exact published cost text, then a complete self-metrics part."""
        assert text.startswith(self.costs), f"{what}: the cost series differ from the published"
        rest = text[len(self.costs):]
        assert rest.startswith(self.SELF) and rest.endswith(b"\n"), f"{what}: cut self metrics"
        assert b"\nprocess_start_time_seconds " in rest, f"{what}: no process_* families"

    def check_metrics_response(self, r, gz):
        assert r.status == 200, f"status {r.status}, expected 200: {r}"
        assert r.header("Content-Range") is None, r
        assert r.header("Content-Type").startswith("text/plain; version=0.0.4"), r
        if gz:
            assert r.header("Content-Encoding") == "gzip", r
            self.whole(gzip.decompress(r.body), "gzip")  # raises on a cut or garbled member
        else:
            assert r.header("Content-Encoding") is None, r
            self.whole(r.body, "plain")

    def check_server(self, server):
        """Fresh ordinary requests still get exactly the published text."""
        self.check_metrics_response(exchange(server.target, req("/metrics")), False)
        self.check_metrics_response(
            exchange(server.target, req("/metrics", [("Accept-Encoding", "gzip")])), True)


def healthz_latency(server):
    t0 = time.monotonic()
    r = exchange(server.target, req("/healthz"), deadline_s=5)
    dt = time.monotonic() - t0
    assert r.status == 200 and r.body == b"ok\n", r
    return dt


class Probe:
    """/healthz latency and RSS, sampled while an attack is running."""

    def __init__(self, server):
        self.server = server
        self.latencies = []
        self.rss_max = 0.0

    def run(self, seconds, ref=None, interval=0.2, max_probes=200, rss_bound=RSS_BOUND_MIB):
        deadline = time.monotonic() + seconds
        checked = False
        for _ in range(max_probes):
            self.server.alive()
            dt = healthz_latency(self.server)
            self.latencies.append(dt)
            assert dt < HEALTHZ_BOUND_S, f"/healthz took {dt:.3f} s under attack"
            self.rss_max = max(self.rss_max, self.server.rss_mib()[0])
            assert self.rss_max < rss_bound, f"VmRSS {self.rss_max:.1f} MiB (bound {rss_bound})"
            if ref and not checked:  # once per run: 9 MB per fetch is not free
                ref.check_server(self.server)
                checked = True
            if time.monotonic() >= deadline:
                break
            time.sleep(interval)
        return self

    def text(self):
        if not self.latencies:
            return "no probes"
        return (f"/healthz max {max(self.latencies) * 1000:.1f} ms over {len(self.latencies)} "
                f"probes; VmRSS max {self.rss_max:.1f} MiB")


class Attack:
    """Threads and sockets of one attack; stops and closes all of them on exit."""

    def __init__(self):
        self.stop = threading.Event()
        self.threads = []
        self.socks = []

    def start(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        self.threads.append(t)
        t.start()
        return t

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)
        for s in self.socks:
            hard_close(s)


class Dripper:
    """Sends a request line, then one header line every `interval` s, never the end."""

    def __init__(self, attack, target, interval, max_s):
        self.attack, self.target, self.interval, self.max_s = attack, target, interval, max_s
        self.t0 = time.monotonic()
        self.closed_after = None
        self.lines = 0
        self.unexpected = b""
        self.error = None
        attack.start(self.run)

    def run(self):
        try:
            self.t0 = time.monotonic()
            s = self.target.connect()
            self.attack.socks.append(s)
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
            next_line = time.monotonic() + self.interval
            while not self.attack.stop.is_set() and time.monotonic() - self.t0 < self.max_s:
                if readable(s, min(0.25, max(0, next_line - time.monotonic()))):
                    # TLS 1.3: the session tickets make the socket readable with no data
                    s.settimeout(0.1)
                    try:
                        b = s.recv(4096)
                    except (socket.timeout, ssl.SSLWantReadError):
                        continue
                    except OSError:
                        b = b""
                    finally:
                        s.settimeout(5)
                    if not b:
                        self.closed_after = time.monotonic() - self.t0
                        return
                    self.unexpected += b  # the server must not answer an incomplete request
                    continue
                if time.monotonic() >= next_line:
                    try:
                        s.sendall(f"X-Drip-{self.lines}: {self.lines}\r\n".encode())
                        self.lines += 1
                    except OSError:
                        self.closed_after = time.monotonic() - self.t0
                        return
                    next_line += self.interval
        except Exception as e:  # noqa: BLE001 - reported by the case
            self.error = repr(e)


class SlowReader:
    """Asks for a big response and reads it at `rate` bytes per second."""

    def __init__(self, attack, target, max_s, headers=(), rate=1024):
        self.attack, self.target, self.max_s, self.rate = attack, target, max_s, rate
        self.headers = headers
        self.received = 0
        self.head = b""
        self.closed_after = None
        self.error = None
        self.started = threading.Event()
        attack.start(self.run)

    def run(self):
        try:
            t0 = time.monotonic()
            # a small receive window, so the server's writes block at once
            s = self.target.connect(rcvbuf=4096)
            self.attack.socks.append(s)
            s.sendall(req("/metrics", self.headers, close=False))
            self.started.set()
            while not self.attack.stop.is_set() and time.monotonic() - t0 < self.max_s:
                if not readable(s, 0.25):
                    continue
                s.settimeout(0.5)
                try:
                    b = s.recv(self.rate)
                except (socket.timeout, ssl.SSLWantReadError):
                    continue  # readable with no data: TLS 1.3 session tickets
                if not b:
                    self.closed_after = time.monotonic() - t0
                    return
                if len(self.head) < 256:
                    self.head += b[:256]
                self.received += len(b)
                self.attack.stop.wait(1.0)
        except Exception as e:  # noqa: BLE001
            self.error = repr(e)
        finally:
            self.started.set()

    def check(self):
        assert self.error is None, f"slow reader: {self.error}"
        assert self.head.startswith(b"HTTP/1.1 200 "), f"slow reader got {self.head[:100]!r}"


class IdleAfterResponse:
    """One keep-alive request, then silence: the keep-alive deadline (30 s) must cut it."""

    def __init__(self, attack, target, max_s):
        self.attack, self.max_s = attack, max_s
        self.sock = target.connect()
        attack.socks.append(self.sock)
        self.sock.sendall(req("/healthz", close=False))
        r, rest = read_response(self.sock, b"")
        assert r.status == 200 and r.header("Connection") is None and rest == b"", r
        self.t0 = time.monotonic()
        self.closed_after = None
        self.data = b""
        attack.start(self.watch)

    def watch(self):
        self.sock.settimeout(0.2)
        while not self.attack.stop.is_set() and time.monotonic() - self.t0 < self.max_s:
            if not readable(self.sock, 0.25):
                continue
            try:
                b = self.sock.recv(4096)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except OSError:
                b = b""
            if not b:
                self.closed_after = time.monotonic() - self.t0
                return
            self.data += b


class IdleGroup:
    """Connections that send nothing; in TLS mode half of them do not even send ClientHello,
    half complete the handshake and then stay silent. Close times recorded by a watcher."""

    def __init__(self, attack, target, n, max_s):
        self.attack = attack
        self.socks, self.t0, self.closed_after = [], [], {}
        for i in range(n):
            self.t0.append(time.monotonic())
            s = target.connect() if (target.tls_ctx and i % 2) else target.tcp()
            s.setblocking(False)
            self.socks.append(s)
            attack.socks.append(s)
        self.max_s = max_s
        attack.start(self.watch)

    def watch(self):
        p = select.poll()
        by_fd = {}
        for i, s in enumerate(self.socks):
            by_fd[s.fileno()] = i
            p.register(s.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        start = time.monotonic()
        while by_fd and not self.attack.stop.is_set() and time.monotonic() - start < self.max_s:
            for fd, _ in p.poll(250):
                i = by_fd.pop(fd, None)
                if i is None:
                    continue
                p.unregister(fd)
                try:
                    data = self.socks[i].recv(4096)
                except (BlockingIOError, ssl.SSLWantReadError):
                    by_fd[fd] = i  # TLS record not complete yet: watch on
                    p.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
                    continue
                except OSError:
                    data = b""
                self.closed_after[i] = (time.monotonic() - self.t0[i], data)

    def open_count(self):
        return len(self.socks) - len(self.closed_after)

    def check_cut(self):
        assert len(self.closed_after) == len(self.socks), \
            f"{self.open_count()} of {len(self.socks)} idle connections still open"
        times = []
        for i, (dt, data) in sorted(self.closed_after.items()):
            assert data == b"", f"idle connection {i} was sent {data[:100]!r}"
            assert NOT_BEFORE_S <= dt <= CUT_BY_S, f"idle connection {i} closed after {dt:.1f} s"
            times.append(dt)
        return min(times), max(times)


# ---------------------------------------------------------------------------------------------
# The cases.

class Case:
    def __init__(self, mode, name):
        self.mode, self.name = mode, name
        self.t0 = time.monotonic()

    def __enter__(self):
        print(f"[{self.mode}] {self.name} ...", flush=True)
        return self

    def figure(self, text):
        FIGURES.append((self.mode, self.name, text))
        print(f"[{self.mode}]   {text}", flush=True)

    def __exit__(self, etype, e, tb):
        dt = time.monotonic() - self.t0
        if etype is None:
            print(f"[{self.mode}] {self.name}: ok ({dt:.1f} s)", flush=True)
            return False
        if not issubclass(etype, Exception):
            return False
        text = "".join(traceback.format_exception(etype, e, tb))
        FAILURES.append((self.mode, self.name, text))
        print(f"[{self.mode}] {self.name}: FAILED ({dt:.1f} s)\n{text}", flush=True)
        return True  # go on with the other cases


RANGE_ATTACKS = [
    ("multi-range bytes=0-0,99999999-99999999", [("Range", "bytes=0-0,99999999-99999999")], False),
    ("gzip + bytes=0-50000000", [("Accept-Encoding", "gzip"), ("Range", "bytes=0-50000000")], True),
    ("bytes=0-2000000", [("Range", "bytes=0-2000000")], False),
    ("gzip + multi-range", [("Accept-Encoding", "gzip"), ("Range", "bytes=0-0,5-1,99999999-")], True),
    ("suffix bytes=-99999999", [("Range", "bytes=-99999999")], False),
    ("bytes=99999999- + If-Range", [("Range", "bytes=99999999-"), ("If-Range", "x")], False),
]


def range_shape(server, ref, headers, gz):
    """One Range shape, four ways: each answer is a 200 with exactly the published body."""
    # read until the server closes: the bytes are exactly one response
    r = exchange(server.target, req("/metrics", headers))
    ref.check_metrics_response(r, gz)
    server.alive()
    # keep-alive: the next bytes after the body are exactly the next response
    s = server.target.connect()
    try:
        s.sendall(req("/metrics", headers, close=False))
        r, rest = read_response(s, b"")
        ref.check_metrics_response(r, gz)
        assert_quiet(s, rest)
        s.sendall(req("/healthz", close=False))
        h, rest = read_response(s, rest)
        assert h.status == 200 and h.body == b"ok\n", h
        assert_quiet(s, rest)
    finally:
        hard_close(s)
    # pipelined: three responses back to back, then nothing
    s = server.target.connect()
    try:
        s.sendall(req("/metrics", headers, close=False) + req("/healthz", close=False) +
                  req("/metrics", [("Accept-Encoding", "gzip")] + headers))
        data = read_until_close(s, 20)
    finally:
        hard_close(s)
    r1, rest = parse_response(data)
    ref.check_metrics_response(r1, gz)
    r2, rest = parse_response(rest)
    assert r2.status == 200 and r2.body == b"ok\n", r2
    r3, rest = parse_response(rest)
    ref.check_metrics_response(r3, True)
    assert rest == b"", f"{len(rest)} bytes after the last pipelined response"
    # HEAD: the headers only, with the full Content-Length, and not one body byte
    h = exchange(server.target, req("/metrics", headers, method="HEAD"))
    assert h.status == 200 and h.header("Content-Range") is None, h
    # The self metrics' digits vary per request by a few bytes; the cost series are the bulk.
    assert abs(int(h.header("Content-Length")) - len(ref.gzip if gz else ref.plain)) < 4096, h
    server.alive()


def case_range(mode, server, ref):
    with Case(mode, "Range attacks") as c:
        cpu0 = proc_cpu_seconds(server.pid)
        for label, headers, gz in RANGE_ATTACKS:
            try:
                range_shape(server, ref, headers, gz)
            except AssertionError as e:
                raise AssertionError(f"Range shape {label!r}: {e}") from e
        # during: range requests read slowly while /healthz is probed
        with Attack() as attack:
            readers = [SlowReader(attack, server.target, 10, headers)
                       for _, headers, _ in RANGE_ATTACKS]
            for rd in readers:
                rd.started.wait(5)
            time.sleep(0.5)
            probe = Probe(server).run(1.5, ref)
            for rd in readers:
                rd.check()
        case_figure = probe.text()
        # no worker left spinning: the process is idle once the requests are done
        time.sleep(0.5)
        c1, t1 = proc_cpu_seconds(server.pid), time.monotonic()
        time.sleep(2.0)
        idle_cpu = (proc_cpu_seconds(server.pid) - c1) / (time.monotonic() - t1)
        assert idle_cpu < 0.25, f"exporter uses {idle_cpu:.0%} CPU after the Range requests"
        server.alive()
        ref.check_server(server)
        c.figure(f"{len(RANGE_ATTACKS)} shapes x (close, keep-alive, pipelined, HEAD): 200 + "
                 f"exact body, nothing after; CPU after: {idle_cpu:.1%}; during slow Range "
                 f"reads: {case_figure}; CPU for the whole case "
                 f"{proc_cpu_seconds(server.pid) - cpu0:.2f} s")


def case_four_slow_kinds(mode, server, ref):
    """The issue's 'four slow clients' attacks, one after the other; the idle and dripping
    connections stay open meanwhile so their deadline cut is checked at the end."""
    with Attack() as attack:
        with Case(mode, "4 idle connections") as c:
            idle = IdleGroup(attack, server.target, 4, max_s=CUT_BY_S + 2)
            time.sleep(0.3)
            c.figure(Probe(server).run(2.5, ref).text())
        with Case(mode, "4 clients dripping a header line every 5 s") as c:
            drippers = [Dripper(attack, server.target, 5.0, CUT_BY_S + 2) for _ in range(4)]
            time.sleep(0.3)
            c.figure(Probe(server).run(2.5, ref).text())
        with Case(mode, "4 slow readers (1 KiB/s of /metrics)") as c:
            with Attack() as readers_attack:
                readers = [SlowReader(readers_attack, server.target, 20) for _ in range(4)]
                for rd in readers:
                    rd.started.wait(5)
                time.sleep(0.5)
                probe = Probe(server).run(2.5, ref)
                for rd in readers:
                    rd.check()
                    assert rd.closed_after is None, "slow reader cut before the write deadline"
            c.figure(probe.text() + f"; read {sum(r.received for r in readers)} bytes in all")
        with Case(mode, "4 keep-alive clients re-requesting every 2 s") as c:
            errors, done = [], []

            def keep_alive(i, stop):
                s = None
                try:
                    s = server.target.connect(timeout=10)
                    rest = b""
                    for n in range(3):
                        gz = (i + n) % 2 == 1
                        s.sendall(req("/metrics", [("Accept-Encoding", "gzip")] if gz else [],
                                      close=False))
                        r, rest = read_response(s, rest, 20)
                        ref.check_metrics_response(r, gz)
                        assert r.header("Connection") is None, r
                        assert_quiet(s, rest, 0.1)
                        if n < 2 and stop.wait(2.0):
                            return
                    done.append(i)
                except Exception as e:  # noqa: BLE001
                    errors.append(f"client {i}: {e!r}")
                finally:
                    hard_close(s)

            with Attack() as ka:
                for i in range(4):
                    ka.start(keep_alive, i, ka.stop)
                probe = Probe(server).run(4.5, ref)
                for t in ka.threads:
                    t.join(timeout=20)
            assert not errors, errors
            assert len(done) == 4, f"only {len(done)} of 4 keep-alive clients finished"
            c.figure(probe.text() + "; 12 keep-alive responses exact")
        with Case(mode, "deadline: idle and dripping clients are cut") as c:
            deadline = time.monotonic() + CUT_BY_S + 2
            while time.monotonic() < deadline and (
                    idle.open_count() or any(d.closed_after is None for d in drippers)):
                server.alive()
                time.sleep(0.2)
            lo, hi = idle.check_cut()
            for d in drippers:
                assert d.error is None, d.error
                assert d.unexpected == b"", f"dripper was answered: {d.unexpected[:200]!r}"
                assert d.closed_after is not None, \
                    f"dripping client still connected after {CUT_BY_S + 2} s ({d.lines} lines)"
                assert NOT_BEFORE_S <= d.closed_after <= CUT_BY_S, \
                    f"dripping client cut after {d.closed_after:.1f} s"
            c.figure(f"idle cut after {lo:.1f}-{hi:.1f} s; dripping cut after "
                     f"{min(d.closed_after for d in drippers):.1f}-"
                     f"{max(d.closed_after for d in drippers):.1f} s "
                     f"({max(d.lines for d in drippers)} header lines sent)")
    server.alive()


def flood_one(target, total, one_line, out):
    """~`total` bytes of headers on one connection -> out gets (sent, send error, the bytes the
    server sent back, read error)."""
    s = None
    sent, send_error, data, read_error = 0, None, b"", None
    try:
        s = target.connect(timeout=5)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        if one_line:  # one 11 MB header value
            s.sendall(b"X-Flood: ")
            chunk = b"a" * 65536
        else:  # 8 KiB header lines
            chunk = (b"X-Flood: " + b"a" * 8183 + b"\r\n") * 8
        while sent < total:
            s.sendall(chunk)
            sent += len(chunk)
        s.sendall(b"\r\n\r\n")
    except OSError as e:  # the server closed (reset) while we were still sending: expected
        send_error = repr(e)
    try:
        if s is not None:
            data = read_until_close(s, 15)
    except OSError as e:  # a reset: the server closed with our bytes unread
        read_error = repr(e)
    except AssertionError as e:  # the server neither answered nor closed
        read_error = "NOT CLOSED: " + str(e)
    finally:
        hard_close(s)
    out.append((sent, send_error, data, read_error))


def case_header_flood(mode, server, ref):
    with Case(mode, "~11 MB of headers x4") as c:
        rss0, hwm0 = server.rss_mib()
        results = []
        with Attack() as attack:
            for i in range(4):
                attack.start(flood_one, server.target, 11 * MiB, i % 2 == 1, results)
            time.sleep(0.2)
            probe = Probe(server).run(1.0)
            for t in attack.threads:
                t.join(timeout=30)
        assert len(results) == 4, f"only {len(results)} of 4 floods finished"
        outcomes = []
        for sent, send_error, data, read_error in results:
            assert not (read_error or "").startswith("NOT CLOSED"), (sent, send_error, read_error)
            if data:
                r, rest = parse_response(data)
                assert r.status == 431, f"flood answered {r}"
                assert rest == b"", rest[:200]
                outcomes.append(f"431 after {sent // 1024} KiB sent")
            else:
                # the server closed with our bytes unread: the kernel reset the connection
                outcomes.append(f"closed after {sent // 1024} KiB sent")
        time.sleep(1.0)
        server.alive()
        rss1, hwm1 = server.rss_mib()
        assert rss1 < RSS_BOUND_MIB and rss1 - rss0 < RSS_GROWTH_BOUND_MIB, \
            f"VmRSS {rss0:.1f} -> {rss1:.1f} MiB"
        assert hwm1 - hwm0 < RSS_GROWTH_BOUND_MIB, f"VmHWM {hwm0:.1f} -> {hwm1:.1f} MiB"
        ref.check_server(server)
        c.figure(f"{'; '.join(outcomes)}; VmRSS {rss0:.1f} -> {rss1:.1f} MiB, VmHWM "
                 f"{hwm0:.1f} -> {hwm1:.1f} MiB; {probe.text()}")

    with Case(mode, "200 header fields -> 431 (and the limits at their edges)") as c:
        r = exchange(server.target, req("/metrics", [(f"X-H-{i}", "1") for i in range(200)]))
        assert r.status == 431, r
        assert r.header("Connection") == "close", r
        # req() adds Host and Connection: 98 more make 100 fields (the cap), 99 make 101
        r = exchange(server.target, req("/metrics", [(f"X-H-{i}", "1") for i in range(98)]))
        ref.check_metrics_response(r, False)
        r = exchange(server.target, req("/metrics", [(f"X-H-{i}", "1") for i in range(99)]))
        assert r.status == 431, f"101 header fields: {r}"
        # bytes: 15 KiB of headers pass, 17 KiB are 431 (the cap is 16 KiB)
        r = exchange(server.target, req("/metrics", [("X-Big", "b" * (15 * 1024))]))
        ref.check_metrics_response(r, False)
        r = exchange(server.target, req("/metrics", [("X-Big", "b" * (17 * 1024))]))
        assert r.status == 431, f"17 KiB of headers: {r}"
        c.figure("200 fields: 431 + Connection: close; 100 fields: 200 exact; 101: 431; "
                 "15 KiB: 200 exact; 17 KiB: 431")

    with Case(mode, "GET with a body -> 400") as c:
        got = []
        for label, extra in (
                ("Content-Length: 5", b"Content-Length: 5\r\n\r\nhello"),
                ("chunked", b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                ("Content-Length: 1000 (sent)", b"Content-Length: 1000\r\n\r\n" + b"x" * 1000)):
            r = exchange(server.target, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra)
            assert r.status == 400, f"{label}: {r}"
            assert r.header("Connection") == "close", r
            got.append(f"{label}: 400")
        server.alive()
        ref.check_server(server)
        c.figure("; ".join(got))


def case_connection_cap(mode, server, ref):
    with Case(mode, "600 idle connections x2 (cap 512, oldest waiting evicted)") as c:
        bound = RSS_CAP_BOUND_MIB[mode]
        rss0, _ = server.rss_mib()
        after = []
        for _ in range(2):
            with Attack() as attack:
                readers = [SlowReader(attack, server.target, 15) for _ in range(2)]
                for rd in readers:
                    rd.started.wait(5)
                idle = IdleGroup(attack, server.target, 600, max_s=8)
                time.sleep(1.0)
                probe = Probe(server).run(1.0, ref, rss_bound=bound)
                time.sleep(0.3)
                still_open = idle.open_count()
                assert still_open <= 512, f"{still_open} idle connections still open (cap 512)"
                evicted = sorted(idle.closed_after)
                assert evicted and evicted[0] < 150, f"evicted: {evicted[:10]} (not the oldest)"
                for i, (_, data) in idle.closed_after.items():
                    assert data == b"", f"evicted connection {i} was sent {data[:100]!r}"
                for rd in readers:  # busy connections are not the ones evicted
                    rd.check()
                    assert rd.closed_after is None, "a slow reader was evicted before idle ones"
            time.sleep(0.5)
            after.append(server.rss_mib()[0])
        assert after[1] - after[0] < RSS_LEAK_BOUND_MIB, f"VmRSS after the rounds: {after}"
        server.alive()
        c.figure(f"{600 - still_open} evicted (first: #{evicted[0]}), {still_open} open; "
                 f"2 slow readers kept; {probe.text()}; VmRSS {rss0:.1f} -> {after[0]:.1f} -> "
                 f"{after[1]:.1f} MiB after each round")
        return max(probe.rss_max, *after)


def case_bind(mode, server, ref, binary, fixtures, tls_ctx, logdir):
    with Case(mode, "second instance on the same port") as c:
        args = [binary, "serve", "--demo", "--web.listen-address", f"{HOST}:{server.port}"]
        if server.web_config:
            args += ["--web.config.file", server.web_config]
        t0 = time.monotonic()
        p = subprocess.Popen(args, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        dt = time.monotonic() - t0
        assert p.returncode == 2, f"second instance: rc {p.returncode}\n{err.decode()}"
        lines = [ln for ln in err.decode().splitlines() if not ln.startswith("ts=")]
        assert len(lines) == 1 and "cannot listen" in lines[0], lines
        assert lines[0].startswith("allocation-exporter: "), lines
        # a SO_REUSEPORT socket cannot share the port either (the old server set it)
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                s.bind((HOST, server.port))
                s.listen()
                raise AssertionError("a SO_REUSEPORT socket could listen on the exporter's port")
            except OSError as e:
                assert e.errno == 98, e  # EADDRINUSE
        finally:
            s.close()
        for _ in range(20):  # every connection still reaches the first instance
            healthz_latency(server)
        ref.check_server(server)
        server.alive()
        c.figure(f"exit 2 after {dt:.2f} s: {lines[0]!r}; SO_REUSEPORT bind refused")


def case_signals(mode, server, ref):
    with Case(mode, "SIGHUP, SIGUSR1, SIGUSR2") as c:
        for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            server.proc.send_signal(sig)
            time.sleep(0.5)
            server.alive()
            healthz_latency(server)
        ref.check_server(server)
        logs = server.logs()
        want = "web config reloaded" if server.web_config else "SIGHUP: no web config file to reload"
        assert want in logs, f"no {want!r} in the log:\n{logs[-2000:]}"
        assert logs.count("signal ignored") >= 2, logs[-2000:]
        c.figure(f"alive after all three; log has {want!r} and 'signal ignored' x2")


def case_sigterm_with(mode, binary, fixtures, tls_ctx, logdir, kind):
    with Case(mode, f"SIGTERM with 4 {kind} clients connected") as c:
        with HostileExporter(binary, fixtures, mode == "tls", tls_ctx, logdir, name=kind) as server, \
                Attack() as attack:
            if kind == "idle":
                IdleGroup(attack, server.target, 4, max_s=20)
            elif kind == "dripping":
                for _ in range(4):
                    Dripper(attack, server.target, 2.0, 20)
            else:
                for rd in [SlowReader(attack, server.target, 20) for _ in range(4)]:
                    rd.started.wait(5)
            time.sleep(1.0)
            healthz_latency(server)
            dt = server.sigterm()
        c.figure(f"exit 0 after {dt:.2f} s")


def case_combined(mode, binary, fixtures, tls_ctx, logdir):
    with Case(mode, "256 idle + 16 dripping (2 s) + 16 slow readers, then SIGTERM") as c:
        with HostileExporter(binary, fixtures, mode == "tls", tls_ctx, logdir, name="combined") \
                as server, Attack() as attack:
            ref = Reference(server)
            rss0, hwm0 = server.rss_mib()
            idle = IdleGroup(attack, server.target, 256, max_s=30)
            drippers = [Dripper(attack, server.target, 2.0, 30) for _ in range(16)]
            readers = [SlowReader(attack, server.target, 30) for _ in range(16)]
            for rd in readers:
                rd.started.wait(5)
            time.sleep(0.5)
            probe = Probe(server).run(4.0, ref)
            for rd in readers:
                rd.check()
                assert rd.closed_after is None, "slow reader cut early"
            assert idle.open_count() == 256, f"only {idle.open_count()} idle still connected"
            for d in drippers:
                assert d.error is None and d.closed_after is None, (d.error, d.closed_after)
            rss1, hwm1 = server.rss_mib()
            threads = proc_status(server.pid)["Threads"]
            dt = server.sigterm()
        c.figure(f"{probe.text()}; VmRSS {rss0:.1f} -> {rss1:.1f} MiB, VmHWM {hwm0:.1f} -> "
                 f"{hwm1:.1f} MiB, {threads} threads; SIGTERM -> exit 0 after {dt:.2f} s")


def case_auth_flood(mode, binary, fixtures, tls_ctx, logdir):
    """Basic auth on: 100 clients sending wrong passwords back to back for 3 s (each one a
    bcrypt check, ~50 ms of CPU) must not delay /healthz: bcrypt runs on its own thread, and
    checks beyond the queue of 64 are answered 503 at once. What a scrape with the right
    password meets meanwhile is measured and reported, not asserted (not in the issue)."""
    import base64
    with Case(mode, "100 clients sending wrong passwords for 3 s (bcrypt flood)") as c:
        web = os.path.join(logdir, f"auth-{mode}.yaml")
        with open(os.path.join(fixtures, "web_config", "basic_auth.good.yaml")) as f:
            users = f.read()
        with open(web, "w") as f:
            if mode == "tls":
                tls_dir = os.path.join(fixtures, "tls")
                f.write(f"tls_server_config:\n  cert_file: {tls_dir}/server.crt\n"
                        f"  key_file: {tls_dir}/server.key\n")
            f.write(users)
        with HostileExporter(binary, fixtures, mode == "tls", tls_ctx, logdir, name="auth",
                             web_config=web) as server:
            def auth(user, password):
                return [("Authorization",
                         "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())]
            right = req("/metrics", auth("prometheus", "scrape-pass"))
            good = exchange(server.target, right)  # also caches the right password
            assert good.status == 200 and len(good.body) > 4 * MiB, good
            assert exchange(server.target, req("/metrics")).status == 401
            statuses, errors = {}, []
            lock = threading.Lock()

            def wrong(i, stop):
                for n in range(50):
                    if stop.is_set():
                        return
                    try:
                        r = exchange(server.target,
                                     req("/metrics", auth("prometheus", f"wrong-{i}-{n}")),
                                     deadline_s=30)
                        with lock:
                            statuses[r.status] = statuses.get(r.status, 0) + 1
                    except Exception as e:  # noqa: BLE001
                        errors.append(repr(e))
                        return

            legit = []
            # Prometheus has scraped before the flood starts: its credentials are in the cache
            # of successes, which the event loop checks without queueing behind bcrypt.
            primed = exchange(server.target, right)
            assert primed.status == 200, primed
            with Attack() as attack:
                for i in range(100):
                    attack.start(wrong, i, attack.stop)
                time.sleep(0.3)
                probe = Probe(server).run(1.0)
                for _ in range(3):
                    t0 = time.monotonic()
                    r = exchange(server.target, right, deadline_s=30)
                    legit.append((r.status, time.monotonic() - t0))
                probe.run(0.5)
                attack.stop.set()
                for t in attack.threads:
                    t.join(timeout=30)
            assert not errors, errors[:5]
            assert set(statuses) <= {401, 503}, statuses
            good = exchange(server.target, right)
            assert good.status == 200 and len(good.body) > 4 * MiB, good
            server.alive()
        assert all(st == 200 for st, _ in legit), legit
        c.figure(f"{probe.text()}; answers {dict(sorted(statuses.items()))}; scrapes "
                 f"with the right password during the flood: "
                 f"{', '.join(f'{st} in {dt * 1000:.0f} ms' for st, dt in legit)}; after: 200")


def run_mode(mode, binary, fixtures, tls_ctx, logdir):
    print(f"==== {mode} ====", flush=True)
    with Case(mode, "main exporter"):
        with HostileExporter(binary, fixtures, mode == "tls", tls_ctx, logdir) as server, \
                Attack() as keep_attack:
            ref = Reference(server)
            rss0, hwm0 = server.rss_mib()
            FIGURES.append((mode, "start", f"/metrics {len(ref.plain)} bytes, gzip "
                            f"{len(ref.gzip)} bytes; VmRSS {rss0:.1f} MiB, VmHWM {hwm0:.1f} MiB; "
                            f"/healthz idle {healthz_latency(server) * 1000:.1f} ms"))
            print(f"[{mode}]   {FIGURES[-1][2]}", flush=True)
            keep_idle = IdleAfterResponse(keep_attack, server.target, 150)
            case_range(mode, server, ref)
            case_four_slow_kinds(mode, server, ref)
            case_header_flood(mode, server, ref)
            with Case(mode, "keep-alive deadline: idle after a response, cut by 45 s") as c:
                deadline = keep_idle.t0 + 50
                while keep_idle.closed_after is None and time.monotonic() < deadline:
                    server.alive()
                    time.sleep(0.25)
                assert keep_idle.data == b"", keep_idle.data[:200]
                assert keep_idle.closed_after is not None, "keep-alive connection never cut"
                assert 20 <= keep_idle.closed_after <= 45, keep_idle.closed_after
                c.figure(f"cut {keep_idle.closed_after:.1f} s after its response")
            rss_cap = case_connection_cap(mode, server, ref) or 0
            case_bind(mode, server, ref, binary, fixtures, tls_ctx, logdir)
            case_signals(mode, server, ref)
            with Case(mode, "published text unchanged, process healthy at the end") as c:
                server.alive()
                after = Reference(server)
                assert after.costs == ref.costs, "the published cost text changed"
                rss1, hwm1 = server.rss_mib()
                # no growth once the attacks are over (the cap case's heap is kept by glibc)
                # glibc keeps the freed TLS buffers of the capped connections (not a leak: rounds level
                # off), so the end may sit a little above the capped peak, never far above it.
                assert rss1 < max(RSS_BOUND_MIB, rss_cap + 8), (rss1, rss_cap)
                c.figure(f"VmRSS {rss0:.1f} -> {rss1:.1f} MiB, VmHWM {hwm0:.1f} -> {hwm1:.1f} MiB")
            with Case(mode, "SIGTERM of the main exporter") as c:
                c.figure(f"exit 0 after {server.sigterm():.2f} s")
    for kind in ("idle", "dripping", "slow-reading"):
        case_sigterm_with(mode, binary, fixtures, tls_ctx, logdir, kind)
    case_combined(mode, binary, fixtures, tls_ctx, logdir)
    case_auth_flood(mode, binary, fixtures, tls_ctx, logdir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures")
    ap.add_argument("--modes", default="plain,tls")
    args = ap.parse_args()
    args.fixtures = os.path.abspath(args.fixtures)  # written into a temporary web config

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft < want:  # 600 sockets in the cap case; the exporter inherits the limit
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 1024, "RLIMIT_NOFILE too low"

    tls_ctx = ssl.create_default_context(cafile=os.path.join(args.fixtures, "tls", "ca.crt"))
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kci-hostile-") as logdir:
        for mode in args.modes.split(","):
            run_mode(mode, args.binary, args.fixtures, tls_ctx, logdir)
        if FAILURES:
            for name in os.listdir(logdir):
                with open(os.path.join(logdir, name), "rb") as f:
                    tail = f.read()[-1500:].decode("utf-8", "replace")
                print(f"---- log tail {name}:\n{tail}")
    print(f"\n==== figures ({time.monotonic() - t0:.0f} s) ====")
    for mode, case, text in FIGURES:
        print(f"[{mode}] {case}: {text}")
    if FAILURES:
        print(f"\n==== {len(FAILURES)} FAILED ====")
        for mode, case, text in FAILURES:
            print(f"[{mode}] {case}: {text.strip().splitlines()[-1]}")
        return 1
    print("\nall hostile-client cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
