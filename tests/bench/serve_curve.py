#!/usr/bin/env python3
"""The memory and CPU curve of both modes, next to the Python way on the same answers, in one
run; writes a markdown table to stdout (and tests/bench/CURVE.md). Reports numbers; never
passes or fails on them.

serve: the real binary (pod metrics on, top 50 pods) polling a loopback server that sends the
synthetic answer for N pods gzip-compressed (as Kubecost's nginx does); peak RSS (VmHWM) and
the CPU of one poll (on-CPU time of all threads between the first and the second poll).
Python: tests/bench/python_reference.py on the same gzip answer (inflate, json, prometheus_client,
gzip of the exposition), median process CPU per poll and peak RSS.
s3-export: tests/bench/s3_export_memory.py (one hourly day of N containers in one answer).

Usage: /usr/bin/python3 tests/bench/serve_curve.py [--quick]
"""
import datetime
import gzip
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3_export_memory  # noqa: E402
from run_suite import cpu_model, free_port  # noqa: E402

def cpu_seconds(pid):
    """On-CPU time of every thread, in ns resolution (/proc/PID/task/TID/schedstat, field 1);
    /proc/PID/stat counts 10 ms ticks, too coarse for one poll. Exited threads are not counted:
    the exporter's threads live as long as it does."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(open(f"/proc/{pid}/task/{tid}/schedstat").read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e9


def serve_run(gz_body, poll_count=1, interval="10s", wrapper=()):
    """Peak RSS (MiB) and the on-CPU seconds of one poll of the real binary (the second); with
    poll_count > 1, the fewest seconds of that many polls `interval` apart (each from one "poll
    ok" line to the next); with 0, only the first poll is awaited (seconds: None). `wrapper`: a
    command line the binary runs under (valgrind)."""
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(gz_body)))
            self.end_headers()
            self.wfile.write(gz_body)

    kport = free_port()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", kport), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = dict(os.environ, KUBECOST_URL=f"http://127.0.0.1:{kport}", SCRAPE_INTERVAL=interval,
               SCRAPE_JITTER_MAX="0s", ENABLE_POD_METRICS="true", TOP_N_PODS="50", WINDOW="24h")
    log = tempfile.TemporaryFile()
    p = subprocess.Popen(list(wrapper) + [os.path.join(BUILD, "allocation-exporter"),
                                          "--web.listen-address", f"127.0.0.1:{free_port()}"],
                         env=env, stderr=log, stdout=log)
    try:
        def polls():
            log.seek(0)
            return log.read().count(b"kubecost poll ok")
        deadline = time.time() + 120 + 15 * poll_count
        while polls() < 1 and time.time() < deadline:
            time.sleep(0.05)
        cpu = []
        for n in range(2, poll_count + 2):
            c1 = cpu_seconds(p.pid)
            while polls() < n and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            cpu.append(cpu_seconds(p.pid) - c1)
        status = open(f"/proc/{p.pid}/status").read()
        hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
        if polls() < poll_count + 1:
            raise RuntimeError(f"the exporter did not poll {poll_count + 1} times: " + open(log.name).read()[-400:])
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        srv.shutdown()
        srv.server_close()
    return hwm, min(cpu) if cpu else None


def main():
    quick = "--quick" in sys.argv
    pods_scales = [1000, 10000] if quick else [1000, 10000, 50000, 100000]
    container_scales = [1000] if quick else [1000, 8000, 20000]
    tmp = tempfile.mkdtemp(prefix="kci-curve-")
    out = [f"Machine: {cpu_model()}, {os.cpu_count()} cores; {datetime.date.today().isoformat()}; "
           "command: `/usr/bin/python3 tests/bench/serve_curve.py`.\n",
           "#### serve: one poll of N pods (gzip answer, pod metrics on, top 50), ours vs the Python way\n",
           "| pods | answer MB (gzip MB) | our CPU ms/poll | Python CPU ms/poll | CPU ratio | our peak RSS MiB | Python peak RSS MiB | memory ratio |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in pods_scales:
        path = os.path.join(tmp, f"r{n}.json")
        subprocess.run([os.path.join(BUILD, "allocation-exporter-bench"), "--dump-response", str(n), path],
                       check=True, capture_output=True)
        raw = open(path, "rb").read()
        gz = gzip.compress(raw, 6)
        with open(path + ".gz", "wb") as f:
            f.write(gz)
        hwm, cpu = serve_run(gz)
        py = json.loads(subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/bench/python_reference.py"),
                                        path + ".gz", "3" if n < 100000 else "1"],
                                       check=True, capture_output=True, text=True).stdout)
        pcpu = py["cpu_seconds_per_poll"]
        out.append(f"| {n:,} | {len(raw) / 1e6:.1f} ({len(gz) / 1e6:.1f}) | {cpu * 1000:.1f} | {pcpu * 1000:.0f} | "
                   f"{pcpu / max(cpu, 1e-9):.1f}× | {hwm:.1f} | {py['peak_rss_mib']:.1f} | {py['peak_rss_mib'] / hwm:.1f}× |")
        os.remove(path)
        os.remove(path + ".gz")
        print(out[-1], file=sys.stderr, flush=True)
    out += ["\n#### s3-export: one hourly day of N containers in a single answer (24 sets, gzip), to the S3 stand-in\n",
            "| containers | answer MB (gzip MB) | peak RSS MiB | CPU s | wall s |", "|---:|---:|---:|---:|---:|"]
    for n in container_scales:
        line = s3_export_memory.run(os.path.join(BUILD, "allocation-exporter"), n)
        f = dict(re.findall(r"(\w+)=(\S+)", line))
        out.append(f"| {n:,} | {f['answer_mb']} ({f['gzip_mb']}) | {f['peak_rss_mib']} | {f['cpu_s']} | {f['wall_s']} |")
        print(out[-1], file=sys.stderr, flush=True)
    text = "\n".join(out) + "\n"
    if not quick:
        with open(os.path.join(ROOT, "tests/bench/CURVE.md"), "w") as fh:
            fh.write(text)
    print(text)
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
