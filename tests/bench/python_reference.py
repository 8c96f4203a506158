#!/usr/bin/env python3
"""The Python way, as a yardstick: what a Python allocation exporter does per poll, written
plainly with the standard `json` module and `prometheus_client` (Debian's packages). It parses
one Kubecost answer, folds it into namespace, cluster and top-N pod gauges with labels, and
renders the exposition text once. Reports seconds per poll and peak RSS.

Usage: python_reference.py RESPONSE.json[.gz] [polls]
With a .gz answer (as Kubecost's nginx sends it) every poll also inflates it, and gzips its
exposition as prometheus_client does for a scraper that accepts gzip. CPU is process time.
"""
import gzip
import json
import resource
import statistics
import sys
import time

from prometheus_client import CollectorRegistry, Gauge, generate_latest

COSTS = {"total": "totalCost", "cpu": "cpuCost", "ram": "ramCost", "gpu": "gpuCost", "pv": "pvCost",
         "network": "networkCost", "lb": "loadBalancerCost", "shared": "sharedCost", "external": "externalCost"}


def poll(body, top_n=50):
    registry = CollectorRegistry()
    ns_gauges = {k: Gauge(f"cloudtuner_kubecost_namespace_{k}_cost", f"{k} cost for namespace",
                          ["cluster", "namespace", "tenant_id", "currency"], registry=registry) for k in COSTS}
    cl_gauges = {k: Gauge(f"cloudtuner_kubecost_cluster_{k}_cost", f"{k} cost for cluster",
                          ["cluster", "tenant_id", "currency"], registry=registry) for k in COSTS}
    eff = Gauge("cloudtuner_kubecost_namespace_cpu_efficiency", "cpu efficiency",
                ["cluster", "namespace", "tenant_id"], registry=registry)
    pod_gauges = {k: Gauge(f"cloudtuner_kubecost_pod_{k}_cost", f"{k} cost for pod",
                           ["cluster", "namespace", "pod", "tenant_id", "currency"], registry=registry)
                  for k in ("total", "cpu", "ram")}

    data = json.loads(body)
    namespaces, cluster, pods = {}, {k: 0.0 for k in COSTS}, []
    eff_num, eff_den = {}, {}
    for alloc_set in data.get("data") or []:
        for name, a in (alloc_set or {}).items():
            props = a.get("properties") or {}
            ns = props.get("namespace") or name.split("/")[0]
            for k, field in COSTS.items():
                v = a.get(field)
                if v is None:
                    continue
                cluster[k] += v
                if not name.endswith("__idle__"):
                    namespaces.setdefault(ns, {}).setdefault(k, 0.0)
                    namespaces[ns][k] += v
            if name.endswith("__idle__"):
                continue
            if a.get("cpuEfficiency") is not None and a.get("cpuCost"):
                eff_num[ns] = eff_num.get(ns, 0.0) + a["cpuEfficiency"] * a["cpuCost"]
                eff_den[ns] = eff_den.get(ns, 0.0) + a["cpuCost"]
            pods.append((a.get("totalCost") or 0.0, ns, props.get("pod") or name, a))
    for ns, costs in namespaces.items():
        for k, v in costs.items():
            ns_gauges[k].labels("c", ns, "t", "USD").set(v)
        if eff_den.get(ns):
            eff.labels("c", ns, "t").set(eff_num[ns] / eff_den[ns])
    for k, v in cluster.items():
        cl_gauges[k].labels("c", "t", "USD").set(v)
    pods.sort(key=lambda p: p[0], reverse=True)
    for total, ns, pod, a in pods[:top_n]:
        pod_gauges["total"].labels("c", ns, pod, "t", "USD").set(total)
        pod_gauges["cpu"].labels("c", ns, pod, "t", "USD").set(a.get("cpuCost") or 0.0)
        pod_gauges["ram"].labels("c", ns, pod, "t", "USD").set(a.get("ramCost") or 0.0)
    return generate_latest(registry)


def main():
    raw = open(sys.argv[1], "rb").read()
    zipped = sys.argv[1].endswith(".gz")
    polls = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    times, cpu = [], []
    for _ in range(polls):
        t0, c0 = time.perf_counter(), time.process_time()
        body = gzip.decompress(raw) if zipped else raw
        text = poll(body)
        if zipped:
            gzip.compress(text)
        del body
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds_per_poll": statistics.median(times), "cpu_seconds_per_poll": statistics.median(cpu),
                      "peak_rss_mib": peak_kib / 1024, "exposition_bytes": len(text), "response_bytes": len(raw)}))


if __name__ == "__main__":
    main()
