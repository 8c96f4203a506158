#!/usr/bin/env python3
"""End to end: the real allocation-exporter against a stand-in Kubecost on 127.0.0.1.

Proves: values equal the stand-in's numbers in both metric modes; namespace + idle reconcile
to the cluster and top-N pods + __other__ to each namespace; series vanish with their namespace
or pod; Kubecost down at start, 500, timeout, garbage, truncated, empty, HTML 504 and recovery,
with the exporter never exiting; gzip; /readyz; SIGTERM within 5 s; no secret in the logs.
"""
import argparse
import collections
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Exporter, close, cost_text, errors, free_port, http_get, value  # noqa: E402
from kubecost_standin import COST_KEYS, WINDOW_HOURS, StandIn, build_allocations  # noqa: E402

# Each resource series includes its own adjustment (totalCost does already).
ADJUSTMENT = {"cpuCost": "cpuCostAdjustment", "ramCost": "ramCostAdjustment",
              "gpuCost": "gpuCostAdjustment", "pvCost": "pvCostAdjustment",
              "networkCost": "networkCostAdjustment", "loadBalancerCost": "loadBalancerCostAdjustment"}


def family_value(a, k):
    v, adj = a.get(k), a.get(ADJUSTMENT.get(k, ""))
    return v if adj is None else (v or 0.0) + adj

FAMILY = {"totalCost": "total", "cpuCost": "cpu", "ramCost": "ram", "gpuCost": "gpu",
          "pvCost": "pv", "networkCost": "network", "loadBalancerCost": "lb",
          "sharedCost": "shared", "externalCost": "external"}
CLUSTER, TENANT, CUR = "e2e-cluster", "tenant-e2e", "USD"
TOP_N = 5
SECRET = "s3cr3t-token-value-do-not-log"


def expected(allocs, divisor):
    ns = collections.defaultdict(dict)
    idle, cluster = {}, {}
    eff = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    pods = []
    for name, a in allocs.items():
        target = idle if name.endswith("__idle__") else ns[a["properties"]["namespace"]]
        for k in COST_KEYS:
            v = family_value(a, k)
            if v is not None:
                target[k] = target.get(k, 0.0) + v
                cluster[k] = cluster.get(k, 0.0) + v
        if a.get("cpuEfficiency") is not None:
            key = "__idle__" if name.endswith("__idle__") else a["properties"]["namespace"]
            for bucket in (key, "__cluster__"):
                eff[bucket][0] += a["cpuEfficiency"] * a["cpuCost"]
                eff[bucket][1] += a["cpuCost"]
                eff[bucket][2] += a["cpuEfficiency"]
                eff[bucket][3] += 1
        if not name.endswith("__idle__"):
            pods.append((a["totalCost"], a["properties"]["namespace"], a["properties"]["pod"], a))
    pods.sort(key=lambda p: -p[0])
    top = pods[:TOP_N]
    other = collections.defaultdict(lambda: collections.defaultdict(float))
    for _, n, _, a in pods[TOP_N:]:
        for k in ("totalCost", "cpuCost", "ramCost"):
            other[n][k] += family_value(a, k) or 0.0
    scale = lambda d: {k: v / divisor for k, v in d.items()}  # noqa: E731
    return {"ns": {n: scale(d) for n, d in ns.items()}, "idle": scale(idle),
            "cluster": scale(cluster), "top": top, "other": other,
            "eff": {k: v[0] / v[1] if v[1] > 0 else v[2] / v[3] for k, v in eff.items()}, "divisor": divisor}


def check_values(m, exp):
    for n, costs in exp["ns"].items():
        for k, fam in FAMILY.items():
            got = value(m, f"cloudtuner_kubecost_namespace_{fam}_cost", cluster=CLUSTER,
                        namespace=n, tenant_id=TENANT, currency=CUR, label_team="team-" + n[:3])
            if k in costs:
                assert got is not None and close(got, costs[k]), (n, fam, got, costs[k])
            else:
                assert got is None, (n, fam, got)
        got_eff = value(m, "cloudtuner_kubecost_namespace_cpu_efficiency", cluster=CLUSTER,
                        namespace=n, tenant_id=TENANT, label_team="team-" + n[:3])
        assert close(got_eff, exp["eff"][n]), (n, got_eff, exp["eff"][n])
    for k, fam in FAMILY.items():
        got = value(m, f"cloudtuner_kubecost_cluster_{fam}_cost", cluster=CLUSTER,
                    tenant_id=TENANT, currency=CUR)
        if k in exp["cluster"]:
            assert close(got, exp["cluster"][k]), (fam, got, exp["cluster"][k])
    assert close(value(m, "cloudtuner_kubecost_idle_total_cost", cluster=CLUSTER,
                       tenant_id=TENANT, currency=CUR), exp["idle"]["totalCost"])
    assert close(value(m, "cloudtuner_kubecost_cluster_cpu_efficiency", cluster=CLUSTER,
                       tenant_id=TENANT), exp["eff"]["__cluster__"])
    # Top-N pods, exactly those, with their values.
    pod_series = {dict(labels)["pod"]: v for (name, labels), v in m.items()
                  if name == "cloudtuner_kubecost_pod_total_cost"}
    want = {p: t / exp["divisor"] for t, _, p, _ in exp["top"]}
    for n in exp["ns"]:
        want["__other__@" + n] = exp["other"][n]["totalCost"] / exp["divisor"]
    got_top = {p: v for p, v in pod_series.items() if p != "__other__"}
    assert set(got_top) == {p for p in want if not p.startswith("__other__")}, (got_top, want)
    for p, v in got_top.items():
        assert close(v, want[p]), (p, v, want[p])
    for n in exp["ns"]:
        got = value(m, "cloudtuner_kubecost_pod_total_cost", cluster=CLUSTER, namespace=n,
                    pod="__other__", tenant_id=TENANT, currency=CUR, label_team="team-" + n[:3])
        assert got is not None and close(got, want["__other__@" + n], 1e-9) or \
            abs(got - want["__other__@" + n]) < 1e-12, (n, got)


def check_reconciliation(m):
    for fam in FAMILY.values():
        ns_sum = sum(v for (name, _), v in m.items()
                     if name == f"cloudtuner_kubecost_namespace_{fam}_cost")
        idle = value(m, f"cloudtuner_kubecost_idle_{fam}_cost", cluster=CLUSTER,
                     tenant_id=TENANT, currency=CUR) or 0
        cluster = value(m, f"cloudtuner_kubecost_cluster_{fam}_cost", cluster=CLUSTER,
                        tenant_id=TENANT, currency=CUR)
        if cluster is not None:
            assert abs(ns_sum + idle - cluster) <= 1e-9 * max(1, abs(cluster)), (fam, ns_sum, idle, cluster)
    for fam in ("total", "cpu", "ram"):
        by_ns = collections.defaultdict(float)
        for (name, labels), v in m.items():
            if name == f"cloudtuner_kubecost_pod_{fam}_cost":
                by_ns[dict(labels)["namespace"]] += v
        for (name, labels), v in m.items():
            if name == f"cloudtuner_kubecost_namespace_{fam}_cost":
                n = dict(labels)["namespace"]
                assert abs(by_ns[n] - v) <= 1e-9 * max(1, abs(v)), (fam, n, by_ns[n], v)


def namespaces_in(m):
    return {dict(l)["namespace"] for (n, l) in m if n == "cloudtuner_kubecost_namespace_total_cost"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures/kubecost")
    args = ap.parse_args()

    token_file = tempfile.NamedTemporaryFile("w", delete=False, prefix="kci-token-")
    token_file.write(SECRET + "\n")
    token_file.close()
    kubecost_port = free_port()
    env = {"KUBECOST_URL": f"http://127.0.0.1:{kubecost_port}", "SCRAPE_INTERVAL": "10",
           "SCRAPE_JITTER_MAX": "0", "KUBECOST_TIMEOUT": "2s", "KUBECOST_RETRIES": "0",
           "ENABLE_POD_METRICS": "true", "TOP_N_PODS": str(TOP_N), "TENANT_ID": TENANT,
           "CLUSTER_NAME": CLUSTER, "LABEL_KEYS": "team", "WINDOW": "1h",
           "KUBECOST_BEARER_TOKEN_FILE": token_file.name, "MAX_STALENESS": "10m"}
    standin = None
    checks = 0
    try:
        with Exporter(args.binary, env) as ex:
            # 1. Kubecost down at start: health only, reason connect; still ready (a fresh
            #    install must pass `helm install --wait` before Kubecost has data).
            m = ex.wait_for(lambda m: errors(m, "connect") >= 1, "connect error")
            assert value(m, "cloudtuner_kubecost_exporter_scrape_success") == 0
            assert not namespaces_in(m)
            status, _, body = http_get(ex.base + "/readyz")
            assert (status, body) == (200, b"ready (no cost data yet; last poll failed: connect)\n"), (status, body)
            checks += 1

            # 2. Kubecost appears: values, reconciliation, query, gzip, readiness.
            standin = StandIn(args.fixtures, kubecost_port).start()
            m = ex.wait_for(lambda m: value(m, "cloudtuner_kubecost_exporter_scrape_success") == 1,
                            "first good poll", timeout=30)
            exp = expected(standin.allocations, WINDOW_HOURS)
            check_values(m, exp)
            check_reconciliation(m)
            # The cost request (the label families' aggregate=label:team request follows it).
            path, query = next(r for r in reversed(standin.requests)
                               if not r[1]["aggregate"][0].startswith("label:"))
            assert path == "/model/allocation", path
            assert query["aggregate"] == ["namespace,pod"] and query["window"] == ["1h"], query
            assert query["idle"] == ["true"] and query["accumulate"] == ["true"], query
            assert query["includeIdle"] == ["true"], query  # OpenCost reads only this one
            assert "filter" not in query and "splitIdle" not in query, query
            # The resource families add up to the total (adjustments included), per namespace.
            parts = ("cpu", "ram", "gpu", "pv", "network", "lb", "shared", "external")
            big_adjustment = False
            for n in exp["ns"]:
                labels = dict(cluster=CLUSTER, namespace=n, tenant_id=TENANT, currency=CUR,
                              label_team="team-" + n[:3])
                total = value(m, "cloudtuner_kubecost_namespace_total_cost", **labels)
                parts_sum = sum(value(m, f"cloudtuner_kubecost_namespace_{p}_cost", **labels) or 0
                                for p in parts)
                # The fixtures' own totals are rounded to 6 digits; the adjustments are far more.
                adj = sum(a.get(k) or 0.0 for name, a in standin.allocations.items()
                          if not name.endswith("__idle__") and a["properties"]["namespace"] == n
                          for k in ADJUSTMENT.values()) / WINDOW_HOURS
                assert abs(parts_sum - total) <= 1e-5 * max(1, total), (n, parts_sum, total)
                big_adjustment = big_adjustment or abs(adj) > 1e-3 * total
            assert big_adjustment, "no namespace's adjustments exceed the fixtures' rounding"
            assert standin.auth_headers[-1] == "Bearer " + SECRET
            # The same cost series plain and gzip (the self metrics are live, so they differ).
            assert cost_text(ex.metrics(gzip_ok=True)) == cost_text(ex.metrics())
            assert http_get(ex.base + "/readyz")[0] == 200
            status, _, page = http_get(ex.base + "/")
            assert status == 200 and b"kube-system" in page and b"/metrics" in page
            assert http_get(ex.base + "/nope")[0] == 404
            series = value(m, "cloudtuner_kubecost_exporter_series_count")
            assert series == sum(1 for (n, _) in m if not n.startswith(("cloudtuner_kubecost_exporter_", "process_"))), series
            checks += 1

            # 3. Faults: each is counted by reason, the last good data keeps being served.
            for mode, reason in (("500", "http_status"), ("timeout", "timeout"),
                                 ("garbage", "parse"), ("truncated", "parse"),
                                 ("empty", "empty"), ("html504", "http_status")):
                before = errors(m, reason)
                standin.mode = mode
                m = ex.wait_for(lambda m: errors(m, reason) > before, f"{mode} -> {reason}",
                                timeout=30)
                assert value(m, "cloudtuner_kubecost_exporter_scrape_success") == 0
                check_values(m, exp)  # stale but within maxStaleness: still served
                assert http_get(ex.base + "/readyz")[0] == 200
                checks += 1

            # 4. Recovery, with a namespace and a top pod gone from Kubecost.
            gone_pod = exp["top"][0][2]
            standin.allocations = build_allocations(args.fixtures, drop_namespace="search",
                                                    drop_pods={gone_pod})
            standin.mode = "ok"
            m = ex.wait_for(lambda m: value(m, "cloudtuner_kubecost_exporter_scrape_success") == 1
                            and "search" not in namespaces_in(m), "recovery", timeout=30)
            exp = expected(standin.allocations, WINDOW_HOURS)
            check_values(m, exp)
            check_reconciliation(m)
            assert not any(dict(l).get("namespace") == "search" for (_, l) in m)
            assert not any(dict(l).get("pod") == gone_pod for (_, l) in m)
            checks += 1

            # 5. SIGTERM: clean exit within 5 s.
            t0 = time.time()
            rc = ex.stop()
            assert rc == 0 and time.time() - t0 < 5, (rc, time.time() - t0)
            logs = ex.logs()
            assert "Kubecost URL: http://127.0.0.1:" in logs and f"Tenant ID: {TENANT}" in logs
            assert SECRET not in logs, "the bearer token reached the logs"
            assert "kubecost poll ok" in logs and "reason=timeout" in logs
            checks += 1

        # 6. Total mode: the window totals themselves.
        env_total = dict(env, METRIC_MODE="total")
        with Exporter(args.binary, env_total) as ex:
            m = ex.wait_for(lambda m: value(m, "cloudtuner_kubecost_exporter_scrape_success") == 1,
                            "total-mode poll")
            check_values(m, expected(standin.allocations, 1.0))
            check_reconciliation(m)
            checks += 1
    finally:
        if standin:
            standin.stop()
        os.unlink(token_file.name)
    print(f"e2e serve: {checks} passed, 0 failed")


if __name__ == "__main__":
    main()
