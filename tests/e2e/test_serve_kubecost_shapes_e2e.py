#!/usr/bin/env python3
"""End to end (issue 14): serve mode against a stand-in that behaves like real Kubecost/OpenCost.

Proves, each against the real binary:
  1. OpenCost answering Kubecost's path (flavour auto) still gets idle: includeIdle is sent.
  2. window=1h answered with data:[null] is reason no_data_yet, the last good series are kept.
  3. Rate mode divides by the span the data covers (allocations' end lagging the window), and
     the effective span is the data_window_seconds health series.
  4a. kubecostClusterId: one cluster of a federation, filtered by the server.
  4b. multiCluster: same-named namespaces in two clusters, cluster label from properties,
      sum(namespace) + idle == cluster for each cluster.
  5. label_team on merged namespaces is the namespace's label; the label families from
     aggregate=label:team hold __unallocated__ and reconcile (with idle) to the cluster.
"""
import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Exporter, close, errors, free_port, value  # noqa: E402
from kubecost_standin import WINDOW_HOURS, StandIn, build_allocations, build_federation  # noqa: E402

TENANT, CUR = "tenant-shapes", "USD"
FAMS = ("total", "cpu", "ram", "gpu", "pv", "network", "lb", "shared", "external")


def good(m):
    return value(m, "cloudtuner_kubecost_exporter_scrape_success") == 1


def by(m, name, key):
    out = collections.defaultdict(float)
    for (n, labels), v in m.items():
        if n == name:
            out[dict(labels)[key]] += v
    return out


def reconcile_per_cluster(m):
    clusters = by(m, "cloudtuner_kubecost_cluster_total_cost", "cluster")
    for fam in FAMS:
        ns = by(m, f"cloudtuner_kubecost_namespace_{fam}_cost", "cluster")
        idle = by(m, f"cloudtuner_kubecost_idle_{fam}_cost", "cluster")
        total = by(m, f"cloudtuner_kubecost_cluster_{fam}_cost", "cluster")
        for c in clusters:
            if c in total:
                assert abs(ns[c] + idle[c] - total[c]) <= 1e-9 * max(1, total[c]), (fam, c)
    return clusters


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures/kubecost")
    args = ap.parse_args()
    port = free_port()
    base_env = {"KUBECOST_URL": f"http://127.0.0.1:{port}", "SCRAPE_INTERVAL": "10",
                "SCRAPE_JITTER_MAX": "0", "KUBECOST_TIMEOUT": "2s", "KUBECOST_RETRIES": "0",
                "TENANT_ID": TENANT, "CLUSTER_NAME": "stamped", "MAX_STALENESS": "10s"}
    standin = StandIn(args.fixtures, port).start()
    checks = 0
    try:
        pods = standin.allocations
        idle_total = pods["__idle__"]["totalCost"] / WINDOW_HOURS

        # 1. OpenCost behind its UI: answers /model/allocation too, reads only includeIdle.
        standin.flavour = "opencost"
        with Exporter(args.binary, dict(base_env, KUBECOST_FLAVOR="auto")) as ex:
            m = ex.wait_for(good, "first poll")
            assert standin.requests[-1][0] == "/model/allocation"
            got = value(m, "cloudtuner_kubecost_idle_total_cost", cluster="stamped",
                        tenant_id=TENANT, currency=CUR)
            assert got is not None and close(got, idle_total), (got, idle_total)
            checks += 1
        standin.flavour = "kubecost"

        # 2. window=1h at the start of the hour: data:[null] is "no data yet", series kept.
        standin.minute_of_hour = lambda: 0
        with Exporter(args.binary, dict(base_env, WINDOW="1h", MAX_STALENESS="15s")) as ex:
            m = ex.wait_for(good, "first 1h poll")
            standin.null_minutes = 5
            m = ex.wait_for(lambda m: errors(m, "no_data_yet") >= 2, "no_data_yet", timeout=40)
            assert errors(m, "empty") == 0
            # The second null answer is 20 s after the good poll, past maxStaleness (15 s): the
            # window's allowance keeps the series.
            assert value(m, "cloudtuner_kubecost_cluster_total_cost", cluster="stamped",
                         tenant_id=TENANT, currency=CUR) is not None
            standin.null_minutes = 0
            ex.stop()
            logs = ex.logs()
            assert "kubecost has no data yet for the window" in logs and "reason=no_data_yet" in logs
            checks += 1

        # 3. The data ends 30 minutes before the set window: 1.5 h, not 2 h.
        lagged = build_allocations(args.fixtures)
        for a in lagged.values():
            a["end"] = "2024-01-01T01:30:00Z"
        standin.allocations = lagged
        with Exporter(args.binary, base_env) as ex:
            m = ex.wait_for(good, "lagged poll")
            assert value(m, "cloudtuner_kubecost_exporter_data_window_seconds") == 1.5 * 3600
            got = value(m, "cloudtuner_kubecost_idle_total_cost", cluster="stamped",
                        tenant_id=TENANT, currency=CUR)
            assert close(got, lagged["__idle__"]["totalCost"] / 1.5), got
            checks += 1

        # 4. A federation: two clusters, same namespace names.
        standin.allocations = build_federation(args.fixtures)
        one = {n: a for n, a in standin.allocations.items()
               if a["properties"]["cluster"] == "cluster-two"}
        with Exporter(args.binary, dict(base_env, KUBECOST_CLUSTER_ID="cluster-two")) as ex:
            m = ex.wait_for(good, "filtered poll")
            q = standin.requests[-1][1]
            assert q["filter"] == ['cluster:"cluster-two"'], q
            want = sum(a["totalCost"] for a in one.values()) / WINDOW_HOURS
            got = value(m, "cloudtuner_kubecost_cluster_total_cost", cluster="stamped",
                        tenant_id=TENANT, currency=CUR)
            assert close(got, want), (got, want)
            checks += 1
        with Exporter(args.binary, dict(base_env, MULTI_CLUSTER="true",
                                        ENABLE_POD_METRICS="true", TOP_N_PODS="3")) as ex:
            m = ex.wait_for(good, "federation poll")
            q = standin.requests[-1][1]
            assert q["aggregate"] == ["cluster,namespace,pod"] and q["splitIdle"] == ["true"], q
            clusters = reconcile_per_cluster(m)
            assert set(clusters) == {"cluster-one", "cluster-two"}, clusters
            for c in clusters:
                allocs = [a for a in standin.allocations.values()
                          if a["properties"]["cluster"] == c]
                want = sum(a["totalCost"] for a in allocs) / WINDOW_HOURS
                assert close(clusters[c], want), (c, clusters[c], want)
                idle = value(m, "cloudtuner_kubecost_idle_total_cost", cluster=c,
                             tenant_id=TENANT, currency=CUR)
                assert close(idle, standin.allocations[f"{c}/__idle__"]["totalCost"] / WINDOW_HOURS)
            # The same namespace name is two series, one per cluster.
            payments = [dict(l)["cluster"] for (n, l) in m
                        if n == "cloudtuner_kubecost_namespace_total_cost"
                        and dict(l)["namespace"] == "payments"]
            assert sorted(payments) == ["cluster-one", "cluster-two"], payments
            # Pods + __other__ add up per (cluster, namespace).
            pods_sum = collections.defaultdict(float)
            for (n, l), v in m.items():
                if n == "cloudtuner_kubecost_pod_total_cost":
                    pods_sum[(dict(l)["cluster"], dict(l)["namespace"])] += v
            for (n, l), v in m.items():
                if n == "cloudtuner_kubecost_namespace_total_cost":
                    k = (dict(l)["cluster"], dict(l)["namespace"])
                    assert abs(pods_sum[k] - v) <= 1e-9 * max(1, v), (k, pods_sum[k], v)
            checks += 1

        # 5. Labels under aggregate=namespace (pod labels dropped) and the label families.
        standin.allocations = build_allocations(args.fixtures)
        standin.requests.clear()
        with Exporter(args.binary, dict(base_env, LABEL_KEYS="team", METRIC_MODE="total")) as ex:
            m = ex.wait_for(good, "label poll")
            asked = {q["aggregate"][0] for _, q in standin.requests}
            assert asked == {"namespace", "label:team"}, asked
            got = value(m, "cloudtuner_kubecost_namespace_total_cost", cluster="stamped",
                        namespace="payments", tenant_id=TENANT, currency=CUR, label_team="team-pay")
            assert got is not None, "label_team is the namespace's label"
            labels = {dict(l)["label_value"]: v for (n, l), v in m.items()
                      if n == "cloudtuner_kubecost_label_total_cost"}
            assert "__unallocated__" in labels and "team-pay" in labels, labels
            cluster = value(m, "cloudtuner_kubecost_cluster_total_cost", cluster="stamped",
                            tenant_id=TENANT, currency=CUR)
            idle = value(m, "cloudtuner_kubecost_idle_total_cost", cluster="stamped",
                         tenant_id=TENANT, currency=CUR)
            assert abs(sum(labels.values()) + idle - cluster) <= 1e-9 * cluster, (labels, cluster)
            unalloc = standin.allocations["search/search-pod-3"]["totalCost"]
            assert close(labels["__unallocated__"], unalloc), (labels["__unallocated__"], unalloc)
            checks += 1
    finally:
        standin.stop()
    print(f"e2e serve kubecost shapes: {checks} passed, 0 failed")


if __name__ == "__main__":
    main()
