#!/usr/bin/env python3
"""Golden /metrics through the real binary (node_exporter's e2e-output.txt way).

A stand-in Kubecost serves two checked-in answers (tests/fixtures/kubecost/*_golden.json: the
namespace,pod allocation answer and the label:team answer); the real allocation-exporter polls it
once with pod metrics and labelKeys on; the test reads /metrics plain and gzip (they must be the
same text), masks the values that change from run to run (durations, timestamps, process_*,
request counters, build facts) and compares the text, line by line, with
tests/golden/serve_metrics.prom. UPDATE_GOLDEN=1 rewrites that file. Prints `N passed, N failed`.
"""
import argparse
import difflib
import http.server
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from harness import Exporter, LoopbackServer, free_port, http_get, parse_metrics  # noqa: E402

# Sample values that differ between two runs of the same input.
VOLATILE = re.compile(
    r"^(process_[a-z_]+"
    r"|cloudtuner_kubecost_exporter_(scrape_duration_seconds|last_success_timestamp_seconds"
    r"|poll_duration_seconds_(bucket|sum|count)|http_requests_total))(\{[^}]*\})? ")
BUILD_INFO = re.compile(r'^(cloudtuner_kubecost_exporter_(build_)?info)\{.*\} ')


def masked(text):
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            out.append(line)
            continue
        m = VOLATILE.match(line)
        if m:
            out.append(m.group(0) + "<varies>")
            continue
        m = BUILD_INFO.match(line)
        if m:
            # Version and compiler change with every release: keep the family, mask the labels.
            out.append(m.group(1) + "{<build>} " + line.rsplit(" ", 1)[1])
            continue
        out.append(line)
    return "\n".join(out) + "\n"


class Kubecost(LoopbackServer):
    def __init__(self, fixtures, port):
        with open(os.path.join(fixtures, "kubecost_allocation_namespace-pod_golden.json"), "rb") as f:
            allocation = f.read()
        with open(os.path.join(fixtures, "kubecost_allocation_label-team_golden.json"), "rb") as f:
            labels = f.read()
        self.queries = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query)
                outer.queries.append((url.path, query))
                aggregate = query.get("aggregate", [""])[0]
                body = labels if aggregate.startswith("label:") else allocation
                self.send_response(200 if url.path == "/model/allocation" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.serve(port, Handler)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--golden", required=True)
    args = ap.parse_args()
    passed = failed = 0

    def check(ok, what, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok - {what}")
        else:
            failed += 1
            print(f"FAIL - {what}\n{detail}")

    kport = free_port()
    kubecost = Kubecost(args.fixtures, kport).start()
    env = {"KUBECOST_URL": f"http://127.0.0.1:{kport}", "TENANT_ID": "tenant-golden",
           "CLUSTER_NAME": "golden", "ENABLE_POD_METRICS": "true", "TOP_N_PODS": "4",
           "LABEL_KEYS": "team", "SCRAPE_INTERVAL": "1h", "LOG_FORMAT": "json"}
    try:
        with Exporter(args.binary, env) as exporter:
            exporter.wait_for(lambda m: any(k[0] == "cloudtuner_kubecost_label_total_cost" for k in m),
                              "the first poll, label families included")
            plain = exporter.metrics()
            zipped = exporter.metrics(gzip_ok=True)
            check(masked(plain) == masked(zipped), "plain and gzip /metrics carry the same text")
            parse_metrics(plain)  # prometheus_client's parser accepts it (raises otherwise)
            got = masked(plain)
            if os.environ.get("UPDATE_GOLDEN") == "1":
                with open(args.golden, "w", encoding="utf-8") as f:
                    f.write(got)
                print(f"rewrote {args.golden}")
            with open(args.golden, encoding="utf-8") as f:
                want = f.read()
            diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                "golden", "got"))
            check(got == want, f"/metrics equals {os.path.basename(args.golden)} (masked)", diff)
            status, _, _ = http_get(exporter.base + "/readyz")
            check(status == 200, "/readyz is 200 after the good poll", str(status))
            # Self metrics are live: the counter shows the previous request at once (no poll
            # runs in between: the interval is 1 h), and process_* are read at each scrape.
            key = ("cloudtuner_kubecost_exporter_http_requests_total",
                   frozenset({"handler": "/metrics", "code": "200"}.items()))
            before = parse_metrics(exporter.metrics()).get(key, 0)
            after = parse_metrics(exporter.metrics()).get(key, 0)
            check(after == before + 1, "http_requests_total counts each /metrics request at once",
                  f"before {before}, after {after}")
            m = parse_metrics(plain)
            for name in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                         "process_open_fds", "process_max_fds", "process_start_time_seconds",
                         "process_virtual_memory_bytes"):
                check((name, frozenset()) in m, f"{name} is exported")
            rss = m.get(("process_resident_memory_bytes", frozenset()), 0)
            check(1 << 20 < rss < 1 << 30, "process_resident_memory_bytes is the process's RSS",
                  str(rss))
    finally:
        kubecost.stop()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
