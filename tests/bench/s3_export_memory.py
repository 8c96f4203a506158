#!/usr/bin/env python3
"""Peak RSS, work-directory size and CPU of `allocation-exporter s3-export` for one hourly day of N
containers: the ETL store's day (one set of N reconciled allocations) and the On-Demand API's
answer in one piece (24 sets of N allocations), gzip as Kubecost's nginx sends them, reconciled
and uploaded to the signature-checking S3 stand-in. Reports numbers; never passes or fails.

Usage: /usr/bin/python3 tests/bench/s3_export_memory.py BINARY N [N ...]
Prints one line per N: containers, answer MB (plain and gzip), peak RSS MiB, CPU s, wall s.
"""
import datetime
import gzip
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from aws_standin import AwsStandIn  # noqa: E402
from harness import free_port  # noqa: E402

REGION, ACCOUNT, CLUSTER, BUCKET = "us-east-1", "111122223333", "bench", "kci-bench"
KEY, SECRET = "AKIABENCHMEMORY00000", "bench/secret"


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def allocation(c, start, end):
    """One container's hour, shaped like Kubecost's container-level allocation."""
    ns, node, pod = f"ns-{c % 300}", f"node-{c % 120}", f"pod-{c // 3}"
    f = 1 + c % 17
    return (f'"{CLUSTER}/{node}/{ns}/{pod}/app-{c % 3}":{{"name":"{CLUSTER}/{node}/{ns}/{pod}/app-{c % 3}",'
            f'"properties":{{"cluster":"{CLUSTER}","node":"{node}","container":"app-{c % 3}",'
            f'"controller":"{ns}-deploy","controllerKind":"deployment","namespace":"{ns}","pod":"{pod}",'
            f'"providerID":"i-{c % 120:017x}","labels":{{"app":"app-{c % 40}","team":"team-{c % 9}"}},'
            f'"namespaceLabels":{{"team":"team-{c % 9}"}}}},'
            f'"window":{{"start":"{start}","end":"{end}"}},"start":"{start}","end":"{end}","minutes":60,'
            f'"cpuCores":{0.1 * f:.3f},"cpuCoreRequestAverage":{0.1 * f:.3f},"cpuCoreUsageAverage":{0.05 * f:.4f},'
            f'"cpuCoreHours":{0.1 * f:.3f},"cpuCost":{0.0031 * f:.6f},"cpuCostAdjustment":0,"cpuEfficiency":0.5,'
            f'"gpuCount":0,"gpuHours":0,"gpuCost":0,"gpuCostAdjustment":0,"networkTransferBytes":{1000 * f},'
            f'"networkReceiveBytes":{2000 * f},"networkCost":0,"networkCostAdjustment":0,"loadBalancerCost":0,'
            f'"loadBalancerCostAdjustment":0,"pvBytes":0,"pvByteHours":0,"pvCost":0,"pvs":null,"pvCostAdjustment":0,'
            f'"ramBytes":{134217728 * f},"ramByteRequestAverage":{134217728 * f},"ramByteUsageAverage":{67108864 * f},'
            f'"ramByteHours":{134217728 * f},"ramCost":{0.0012 * f:.6f},"ramCostAdjustment":0,"ramEfficiency":0.5,'
            f'"sharedCost":0,"externalCost":0,"totalCost":{0.0043 * f:.6f},"totalEfficiency":0.5,'
            f'"rawAllocationOnly":null}}')


def etl_answer(containers, day_start):
    """The ETL store's day (/model/allocation step=1d): one set, each container's 24 hours summed
    (the hourly figures above times 24) and reconciled (a Savings Plan on cpu: -30 %)."""
    s, e = iso(day_start), iso(day_start + 86400)
    out = []
    for c in range(containers):
        text = allocation(c, s, e)
        f = 1 + c % 17
        cpu, ram = 24 * 0.0031 * f, 24 * 0.0012 * f
        text = (text.replace(f'"cpuCost":{0.0031 * f:.6f},"cpuCostAdjustment":0',
                             f'"cpuCost":{cpu:.6f},"cpuCostAdjustment":{-0.3 * cpu:.6f}')
                    .replace(f'"ramCost":{0.0012 * f:.6f}', f'"ramCost":{ram:.6f}')
                    .replace(f'"totalCost":{0.0043 * f:.6f}', f'"totalCost":{0.7 * cpu + ram:.6f}'))
        out.append(text)
    return ('{"code":200,"data":[{' + ",".join(out) + "}]}").encode()


def day_answer(containers, day_start):
    parts = ['{"code":200,"data":[']
    for h in range(24):
        s, e = iso(day_start + 3600 * h), iso(day_start + 3600 * (h + 1))
        parts.append(("," if h else "") + "{" + ",".join(allocation(c, s, e) for c in range(containers)) + "}")
    parts.append("]}")
    return "".join(parts).encode()


class BenchKubecost:
    """Answers the s3-export's requests: which days have data (aggregate=cluster, one set a day)
    and the big day itself; assets as an empty set (node columns stay empty)."""

    def __init__(self, port, containers):
        self.containers, self.cache, self.etl_cache = containers, {}, {}
        bench = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                q = urllib.parse.parse_qs(u.query)
                start_s, end_s = q.get("window", [","])[0].split(",")
                parse = lambda t: int(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
                                      .replace(tzinfo=datetime.timezone.utc).timestamp())
                start, end = parse(start_s), parse(end_s)
                if "assets" in u.path:
                    body = gzip.compress(b'{"code":200,"data":[{}]}')
                elif q.get("aggregate", [""])[0] == "cluster":
                    sets = [{CLUSTER: {"name": CLUSTER, "properties": {"cluster": CLUSTER},
                                       "window": {"start": iso(d), "end": iso(d + 86400)},
                                       "start": iso(d), "end": iso(d + 86400), "totalCost": 1.0}}
                            for d in range(start, end, 86400)]
                    body = gzip.compress(json.dumps({"code": 200, "data": sets}).encode())
                elif u.path.endswith("/compute"):
                    day = start - start % 86400
                    if day not in bench.cache:
                        bench.cache[day] = gzip.compress(day_answer(bench.containers, day), 1)
                    body = bench.cache[day]
                else:
                    day = start - start % 86400
                    if day not in bench.etl_cache:
                        bench.etl_cache[day] = gzip.compress(etl_answer(bench.containers, day), 1)
                    body = bench.etl_cache[day]
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for i in range(0, len(body), 1 << 20):
                    self.wfile.write(body[i:i + (1 << 20)])

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def run(binary, containers):
    kport, aport = free_port(), free_port()
    kube = BenchKubecost(kport, containers)
    aws = AwsStandIn(aport, REGION, static=(KEY, SECRET)).start()
    work = tempfile.mkdtemp(prefix="kci-s3mem-")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "S3_BUCKET_NAME": BUCKET,
           "CLUSTER_ID": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
           "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": REGION,
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aport}", "KUBECOST_API_ENDPOINT": f"http://127.0.0.1:{kport}",
           "BACKFILL_PERIOD_DAYS": "4", "S3_EXPORT_WORK_DIR": work, "LABELS": "app,team",
           "KUBECOST_ALLOCATION_API_READ_TIMEOUT": "600", "LOG_FORMAT": "logfmt"}
    try:
        # Warm the stand-in's cache so the exporter's time is its own, not the generator's.
        today = int(time.time()) // 86400 * 86400
        for d in (today - 3 * 86400,):  # AWS's window with 4 days: exactly today-3
            kube.cache[d] = gzip.compress(day_answer(containers, d), 1)
            kube.etl_cache[d] = gzip.compress(etl_answer(containers, d), 1)
        plain = len(day_answer(containers, today)) / 1e6
        packed = len(next(iter(kube.cache.values()))) / 1e6
        # The work directory's peak size (the day's spills and its Parquet file), sampled.
        peak_disk, running = [0], [True]

        def sample():
            while running[0]:
                size = 0
                for name in os.listdir(work):
                    try:
                        size += os.path.getsize(os.path.join(work, name))
                    except OSError:
                        pass
                peak_disk[0] = max(peak_disk[0], size)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.time()
        try:
            p = subprocess.run(["/usr/bin/time", "-f", "TIME %M %U %S", binary, "s3-export"], env=env,
                               capture_output=True, text=True, timeout=1800)
        finally:
            running[0] = False
            sampler.join()
        wall = time.time() - t0
        line = [x for x in p.stderr.splitlines() if x.startswith("TIME ")][-1].split()
        days = len([k for k in aws.objects])
        return (f"containers={containers} answer_mb={plain:.0f} gzip_mb={packed:.1f} days={days} rc={p.returncode} "
                f"peak_rss_mib={int(line[1]) / 1024:.1f} peak_work_dir_mib={peak_disk[0] / 1048576:.0f} "
                f"cpu_s={float(line[2]) + float(line[3]):.1f} wall_s={wall:.1f}"
                + ("" if p.returncode == 0 else " stderr=" + p.stderr[-400:].replace("\n", " | ")))
    finally:
        aws.stop()
        kube.stop()
        subprocess.run(["rm", "-rf", work])


def main():
    binary = sys.argv[1]
    for n in sys.argv[2:]:
        print(run(binary, int(n)), flush=True)


if __name__ == "__main__":
    main()
