#!/usr/bin/env python3
"""Basic auth under a flood of wrong passwords, against the real allocation-exporter (issue 21,
"Auth that holds under a flood").

  other host   100 connections from 127.0.0.1 send distinct wrong passwords on fresh
               connections; a correct client on 127.0.0.2 that has not authenticated since
               start-up logs in 20 times, as a different user each time (so every try costs
               bcrypt): at least 95 % answered 200 within 2 s; the flood saw 503s (saturated)
               and auth_checks_refused_total counts them;
  same host    100 connections from 127.0.0.1 repeat one wrong password; the correct client
               on 127.0.0.1 too: at least 95 % answered 200 within 2 s (the wrong password is
               checked once, then answered from the cache of refused credentials);
  SIGTERM      96 connections from 16 hosts (127.0.0.10-25) fill the bcrypt queue with checks
               of a cost-12 hash (~16 s of bcrypt queued); SIGTERM during the flood: exit code 0
               within 5 s.

127/8 addresses other than 127.0.0.1 play other client hosts (all of 127/8 is local on Linux).
Every loop is bounded in count and time; every thread is joined and every process stopped in
finally blocks. Prints the measured figures at the end.
"""
import argparse
import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Exporter, http_get, parse_metrics, value  # noqa: E402

IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
SUCCESS_SHARE = 0.95   # issue: at least 95 % of the correct client's tries
ANSWER_BOUND_S = 2.0   # issue: each answered within 2 s
SIGTERM_BOUND_S = 5.0  # issue: SIGTERM during the flood exits within 5 s (the pod's grace is 30 s)
TRIES = 20
FIGURES = []


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def get_status(source, port, authorization, timeout):
    """One GET /metrics from `source` on a fresh connection: the status, or 0 when no answer
    arrived within `timeout` (or the connection failed)."""
    deadline = time.monotonic() + timeout
    s = socket.socket()
    try:
        # connect() picks the port: bind-before-connect would scan past the flood's TIME_WAITs
        s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind((source, 0))
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        s.sendall(f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {authorization}"
                  "\r\nConnection: close\r\n\r\n".encode())
        head = b""
        for _ in range(64):
            left = deadline - time.monotonic()
            if left <= 0 or len(head) >= 12:
                break
            s.settimeout(left)
            chunk = s.recv(512)
            if not chunk:
                break
            head += chunk
        if len(head) < 12 or not head.startswith(b"HTTP/1.1 "):
            return 0
        return int(head[9:12])
    except OSError:
        return 0
    finally:
        s.close()


class Flood:
    """`connections` threads sending wrong passwords back to back until stopped (or 2000
    requests each, or 60 s); counts the answers. A context manager: always stopped and joined."""

    def __init__(self, port, connections, sources, password, user):
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = {}
        self.threads = [threading.Thread(target=self.run, daemon=True,
                                         args=(port, sources[i % len(sources)], i, password, user))
                        for i in range(connections)]

    def run(self, port, source, i, password, user):
        until = time.monotonic() + 60
        for n in range(2000):
            if self.stop.is_set() or time.monotonic() > until:
                return
            st = get_status(source, port, basic(user, password(i, n)), 10)
            with self.lock:
                self.counts[st] = self.counts.get(st, 0) + 1
            if st != 401:
                time.sleep(0.005)  # a 503 (or a refused connection) is free: don't spin

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)
        assert not any(t.is_alive() for t in self.threads), "flood threads did not stop"


def correct_client(port, source):
    """TRIES logins as user<k>/pass-<k>: (successes, latencies of every try)."""
    ok, latencies = 0, []
    for k in range(TRIES):
        t0 = time.monotonic()
        st = get_status(source, port, basic(f"user{k}", f"pass-{k}"), ANSWER_BOUND_S)
        latencies.append(time.monotonic() - t0)
        ok += st == 200
        time.sleep(0.1)
    return ok, latencies


def start(binary, web_config, logdir, name):
    return Exporter(binary, {}, ["--demo", "--demo.pods", "200", "--scrape.interval", "600s",
                                 "--scrape.jitter-max", "0s", "--web.config.file", web_config],
                    log_path=os.path.join(logdir, f"{name}.log"))


def case_flood(binary, fixtures, logdir, name, flood_source, client_source, password, user):
    web = os.path.join(fixtures, "web_config", "basic_auth.many_users.good.yaml")
    with start(binary, web, logdir, name) as ex:
        with Flood(ex.port, 100, [flood_source], password, user) as flood:
            time.sleep(0.3)  # the queue is full by now
            ok, lat = correct_client(ex.port, client_source)
        counts = dict(sorted(flood.counts.items()))
        assert ex.proc.poll() is None, "exporter died:\n" + ex.logs()[-2000:]
        st = get_status("127.0.0.3", ex.port, basic("user0", "pass-0"), 5)
        assert st == 200, st
        status, _, body = http_get(ex.base + "/metrics",
                                   {"Authorization": basic("user0", "pass-0")})
        assert status == 200, status
        refused = value(parse_metrics(body.decode()),
                        "cloudtuner_kubecost_exporter_auth_checks_refused_total") or 0
    lat_ms = sorted(x * 1000 for x in lat)
    figure = (f"correct client {ok}/{TRIES} (latency median {lat_ms[len(lat_ms) // 2]:.0f} ms, "
              f"max {lat_ms[-1]:.0f} ms); flood answers {counts}; "
              f"auth_checks_refused_total {refused:.0f}")
    FIGURES.append((name, figure))
    print(f"[{name}] {figure}", flush=True)
    assert counts.get(401, 0) + counts.get(503, 0) > 0, counts
    assert ok >= SUCCESS_SHARE * TRIES, figure
    return counts, refused


def case_sigterm(binary, fixtures, logdir):
    # user y: a cost-12 hash (~250 ms a check); 16 hosts x 4 queued fill the queue of 64.
    web = os.path.join(fixtures, "web_config", "bcrypt_versions.good.yaml")
    hosts = [f"127.0.0.{h}" for h in range(10, 26)]
    with start(binary, web, logdir, "sigterm") as ex:
        with Flood(ex.port, 96, hosts, lambda i, n: f"wrong-{i}-{n}", "y") as flood:
            time.sleep(1.0)
            t0 = time.monotonic()
            ex.proc.send_signal(signal.SIGTERM)
            try:
                rc = ex.proc.wait(timeout=SIGTERM_BOUND_S + 25)
            except subprocess.TimeoutExpired:
                ex.proc.kill()
                ex.proc.wait()
                raise AssertionError("no exit 30 s after SIGTERM")
            dt = time.monotonic() - t0
        counts = dict(sorted(flood.counts.items()))
    figure = f"SIGTERM during the flood: exit {rc} after {dt:.2f} s; flood answers {counts}"
    FIGURES.append(("sigterm", figure))
    print(f"[sigterm] {figure}", flush=True)
    assert rc == 0, rc
    assert dt < SIGTERM_BOUND_S, figure


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures")
    args = ap.parse_args()
    fixtures = os.path.abspath(args.fixtures)
    failures = []
    with tempfile.TemporaryDirectory(prefix="kci-auth-flood-") as logdir:
        cases = [
            ("other host", lambda: case_flood(
                args.binary, fixtures, logdir, "other-host", "127.0.0.1", "127.0.0.2",
                lambda i, n: f"wrong-{i}-{n}", "user0")),
            ("same host", lambda: case_flood(
                args.binary, fixtures, logdir, "same-host", "127.0.0.1", "127.0.0.1",
                lambda i, n: "wrong", "mallory")),
            ("sigterm", lambda: case_sigterm(args.binary, fixtures, logdir)),
        ]
        for name, run in cases:
            try:
                run()
            except Exception as e:  # noqa: BLE001
                failures.append((name, repr(e)))
                print(f"[{name}] FAILED: {e!r}", flush=True)
                for log in os.listdir(logdir):
                    with open(os.path.join(logdir, log), "rb") as f:
                        print(f"---- {log}:\n" + f.read()[-1500:].decode("utf-8", "replace"))
    print("\n==== figures ====")
    for name, text in FIGURES:
        print(f"[{name}] {text}")
    if failures:
        print(f"\n==== {len(failures)} FAILED ====")
        for name, text in failures:
            print(f"[{name}] {text}")
        return 1
    print("\nall auth-flood cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
