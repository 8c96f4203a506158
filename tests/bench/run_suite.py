#!/usr/bin/env python3
"""Runs the whole benchmark suite and writes a markdown table (machine, date, each figure, each
ratio) to tests/bench/RESULTS.md and stdout. Reports numbers; never passes or fails on them.

Usage: /usr/bin/python3 tests/bench/run_suite.py   (after bash .ci/setup --with-test-tools)
"""
import datetime
import http.server
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
SCALES = [100, 1000, 10000, 100000]
PARQUET_SCALES = [1000, 10000, 100000]


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def google_bench():
    out = sh([os.path.join(BUILD, "allocation-exporter-bench"), "--benchmark_format=json",
              "--benchmark_min_time=0.5"])
    res = {}
    for b in json.loads(out)["benchmarks"]:
        name, arg = b["name"].split("/")[:2]
        res[(name, int(arg))] = b
    return res


def ms(b):
    return b["real_time"] if b["time_unit"] == "ms" else b["real_time"] / 1e6


def memory_run(pods, response_path):
    """The real binary polling a loopback server that serves the response: peak and steady RSS."""
    body = open(response_path, "rb").read()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    kport = free_port()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", kport), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = dict(os.environ, KUBECOST_URL=f"http://127.0.0.1:{kport}", SCRAPE_INTERVAL="10", SCRAPE_JITTER_MAX="0",
               ENABLE_POD_METRICS="true", TOP_N_PODS="50")
    log = tempfile.TemporaryFile()
    p = subprocess.Popen([os.path.join(BUILD, "allocation-exporter"), "--web.listen-address",
                          f"127.0.0.1:{free_port()}"], env=env, stderr=log, stdout=log)
    try:
        def polls():
            log.seek(0)
            return log.read().count(b"kubecost poll ok")
        deadline = time.time() + 60
        while polls() < 2 and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        status = open(f"/proc/{p.pid}/status").read()
        hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        srv.shutdown()
        srv.server_close()
    return hwm, rss


def main():
    tmp = tempfile.mkdtemp(prefix="kci-bench-")
    rows = []
    print("running the Google Benchmark suite ...", file=sys.stderr)
    gb = google_bench()
    responses = {}
    for n in SCALES:
        path = os.path.join(tmp, f"response_{n}.json")
        sh([os.path.join(BUILD, "allocation-exporter-bench"), "--dump-response", str(n), path])
        responses[n] = path

    out = []
    out.append(f"Machine: {cpu_model()}, {os.cpu_count()} cores; {datetime.date.today().isoformat()}; "
               f"command: `/usr/bin/python3 tests/bench/run_suite.py`.\n")
    out.append("### Poll path: parse + snapshot vs simdjson's own parse of the same bytes\n")
    out.append("| pods | response MB | raw simdjson (DOM) ms | parse+snapshot ms | MB/s | ratio (target ≤ 2×) |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    for n in SCALES:
        raw, ps = gb[("BM_RawSimdjsonDom", n)], gb[("BM_ParseAndSnapshot", n)]
        mb = os.path.getsize(responses[n]) / 1e6
        out.append(f"| {n:,} | {mb:.1f} | {ms(raw):.2f} | {ms(ps):.2f} | {mb / (ms(ps) / 1000):.0f} | {ms(ps) / ms(raw):.2f}× |")
    out.append("\n### /metrics render (every pod rendered, up to 10 000) and serving\n")
    out.append("| pods | series | ns/series (target ≤ 100) | bytes/series | gzip bytes/series |")
    out.append("|---:|---:|---:|---:|---:|")
    for n in SCALES:
        r = gb[("BM_RenderCosts", n)]
        out.append(f"| {n:,} | {int(r['series']):,} | {r['ns_per_series'] * 1e9:.0f} | {r['bytes_per_series']:.0f} | {r['gzip_bytes_per_series']:.1f} |")
    mc = gb[("BM_MemcpyExposition", 100000)]
    out.append(f"\nmemcpy of the same exposition bytes: {mc['bytes_per_second'] / 1e9:.1f} GB/s.")

    print("running the Python reference and memory runs ...", file=sys.stderr)
    out.append("\n### Against the Python way (json + prometheus_client, same responses), and memory\n")
    out.append("| pods | ours per poll ms | Python per poll ms | speed-up (target ≥ 20×) | our peak RSS MiB | our steady RSS MiB | Python peak RSS MiB | memory ratio |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in SCALES:
        ours = ms(gb[("BM_FullPoll", n)])
        py = json.loads(sh(["/usr/bin/python3", os.path.join(ROOT, "tests/bench/python_reference.py"),
                            responses[n], "3" if n < 100000 else "1"]))
        hwm, rss = memory_run(n, responses[n])
        out.append(f"| {n:,} | {ours:.2f} | {py['seconds_per_poll'] * 1000:.1f} | {py['seconds_per_poll'] * 1000 / ours:.1f}× | "
                   f"{hwm:.1f} | {rss:.1f} | {py['peak_rss_mib']:.1f} | {py['peak_rss_mib'] / hwm:.1f}× |")

    print("running Parquet vs DuckDB ...", file=sys.stderr)
    out.append("\n### Parquet: one day (24 hourly rows per container), ours vs DuckDB's `COPY … TO parquet` of the same rows\n")
    out.append("| containers | rows | codec | ours rows/s | ours bytes/row | DuckDB rows/s (1 thread) | DuckDB bytes/row | speed ratio | size ratio (target ≤ 1.2) |")
    out.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in PARQUET_SCALES:
        d = os.path.join(tmp, f"pq{n}")
        os.makedirs(d)
        ours = sh([os.path.join(BUILD, "tests", "parquet_day_bench"), str(n), d])
        duck = sh(["node", os.path.join(ROOT, "tests/parquet/duckdb_copy_bench.mjs"), d])
        for codec in ("snappy", "zstd"):
            o = dict(re.findall(r"(\w+)=([\d.]+)", re.search(rf"ours {codec}: (.*)", ours).group(1)))
            k = dict(re.findall(r"(\w+)=([\d.]+)", re.search(rf"duckdb {codec} \(1 thread\): (.*)", duck).group(1)))
            out.append(f"| {n:,} | {int(o['rows']):,} | {codec} | {float(o['rows_per_s']):,.0f} | {float(o['bytes_per_row']):.1f} | "
                       f"{float(k['rows_per_s']):,.0f} | {float(k['bytes_per_row']):.1f} | "
                       f"{float(o['rows_per_s']) / float(k['rows_per_s']):.2f}× | {float(o['bytes_per_row']) / float(k['bytes_per_row']):.3f} |")
        subprocess.run(["rm", "-rf", d])
    out.append("\nOur figure includes generating the rows; DuckDB's is the COPY alone, from a table in memory.")

    print("running wrk on /metrics ...", file=sys.stderr)
    load = sh(["bash", os.path.join(ROOT, "tests/bench/load_metrics.sh"), "20000", "20"])
    out.append("\n### Serving under load (wrk, 2 threads × 16 connections, during polls of a 20 000-pod answer)\n")
    out.append("```\n" + load.strip() + "\n```")

    text = "\n".join(out) + "\n"
    with open(os.path.join(ROOT, "tests/bench/RESULTS.md"), "w") as f:
        f.write(text)
    print(text)
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
