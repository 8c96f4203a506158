"""A stand-in Kubecost with both of its sources of allocation data, as s3-export meets them.

- `/model/allocation` is the ETL store: precomputed daily sets for every day since the install
  (Kubecost keeps them kubecostModel.etlDailyStoreDurationDays, 91 days by default:
  kubecost/cost-analyzer-helm-chart cost-analyzer/values.yaml), reconciled: their
  `*CostAdjustment` fields carry the cloud bill's discounts (reconcile=true by default, "Allocation
  API" parameters on https://docs.kubecost.com/apis/monitoring-apis/api-allocation), and each
  allocation's own `start`/`end` say when inside the set its data begins and ends ("Allocation
  schema", same page). `step=1d` only here: the tests ask the ETL for days.
- `/model/allocation/compute` is the On-Demand API: computed from Prometheus at request time, so
  it has data only inside Prometheus' retention (`prometheus.server.retention: 97h` in the same
  values.yaml; the hour holding the edge is answered in part), one set per `step` from the
  window's start (OpenCost pkg/costmodel/costmodel.go, which Kubecost's cost-model serves this
  path with), and it "does not use reconciled asset costs" (the "Querying on-demand" section of
  the page above): every adjustment is 0. Hours outside the retention come back as empty sets.
  Idle rows only with `includeIdle=true`: OpenCost's handler reads that parameter alone
  (opencost pkg/costmodel/aggregation.go, ComputeAllocationHandler `qp.GetBool("includeIdle",
  false)`), never `idle`.
- One container is in the ETL only (a job of a few minutes, "web/batch-etl-only") and one in the
  On-Demand answer only ("kubecost/sidecar-compute-only"); the ETL holds the latter's cost in
  its node's idle, as Kubecost's idle is what the node cost less what was allocated.
- `/model/assets` answers two nodes, node-a (ON_DEMAND) and node-b (SPOT).

The model is exact, so a test can compute what every day must sum to: `etl_day(d)` gives the
ETL's rows of day d (with their reconciled figures), `compute_hour(t)` the On-Demand rows of hour
t (absolute hours since the epoch), `whole_hourly(d)` whether the On-Demand API answers day d
whole.
"""
import datetime
import http.server
import json
import math
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LoopbackServer  # noqa: E402

CLUSTER = "cluster-one"
PARTS = [("cpuCost", "cpuCostAdjustment"), ("gpuCost", "gpuCostAdjustment"), ("ramCost", "ramCostAdjustment"),
         ("pvCost", "pvCostAdjustment"), ("networkCost", "networkCostAdjustment"),
         ("loadBalancerCost", "loadBalancerCostAdjustment")]
# The ETL's reconciliation: a Savings Plan on cpu, a Spot/RI discount on ram, a network true-up.
ADJUSTMENT = {"cpuCost": -0.30, "ramCost": -0.10, "networkCost": 0.05}


def stamp(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())


class Container:
    def __init__(self, c, node, ns, pod, container, hours=None):
        self.c, self.node, self.ns, self.pod, self.container = c, node, ns, pod, container
        self.name = f"{CLUSTER}/{node}/{ns}/{pod}/{container}"
        self.hours = hours  # None: every hour; else the hours of the day (0..23) it runs

    def raw(self, t):
        """Its raw costs in absolute hour t (a full hour of data)."""
        c = self.c
        cpu = 0.01 * (c + 1) * (1 + (t % 5) / 10)
        return {"cpuCost": cpu, "gpuCost": 0.0, "ramCost": 0.004 * (c + 1), "pvCost": 0.001 if c % 3 == 0 else 0.0,
                "networkCost": 0.0005 * (c + 1), "loadBalancerCost": 0.002 if c == 5 else 0.0,
                "sharedCost": 0.0, "externalCost": 0.0}


class KubecostSourcesStandIn(LoopbackServer):
    def __init__(self, port, now, installed_days_ago=20, retention_hours=97):
        self.now = now
        # Installed at 13:25 UTC of that day.
        self.install = (int(now) // 86400 - installed_days_ago) * 86400 + 13 * 3600 + 25 * 60
        # Prometheus' retention edge, set on the half hour so that the hour holding it is half
        # answered: a test's verdict on the straddling day does not depend on the minute it runs.
        self.edge = (int(now) - retention_hours * 3600) // 3600 * 3600 + 1800
        self.containers = [Container(c, "node-a" if c % 2 == 0 else "node-b", ["kubecost", "données", "web"][c % 3],
                                     f"{['kubecost', 'données', 'web'][c % 3]}-pod-{c}", f"app-{c}") for c in range(6)]
        self.etl_only = Container(6, "node-a", "web", "web-batch", "batch-etl-only", hours={5})
        self.compute_only = Container(7, "node-b", "kubecost", "kubecost-pod-7", "sidecar-compute-only")
        self.paths = []  # (path, step, includeIdle) of every allocation query
        standin = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, status, obj):
                body = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                q = urllib.parse.parse_qs(u.query)
                start, end = (parse_stamp(x) for x in q["window"][0].split(","))
                if u.path == "/model/assets":
                    return self.send(200, {"code": 200, "data": [standin.assets()]})
                step = q.get("step", [""])[0]
                standin.paths.append((u.path, step, q.get("includeIdle", [""])[0]))
                filt = q.get("filter", [""])[0]
                if filt and filt != f'cluster:"{CLUSTER}"':
                    return self.send(200, {"code": 200, "data": [{}]})
                if u.path == "/model/allocation" and step == "1d":
                    days = range(start // 86400, end // 86400)
                    if q.get("aggregate") == ["cluster"]:
                        return self.send(200, {"code": 200, "data": [standin.cluster_day(d) for d in days]})
                    assert "aggregate" not in q, q
                    return self.send(200, {"code": 200, "data": [{a["name"]: a for a in standin.etl_day(d)} for d in days]})
                if u.path == "/model/allocation/compute" and step == "1h":
                    idle = q.get("includeIdle", ["false"])[0] == "true"
                    sets = [{a["name"]: a for a in standin.compute_hour(t, idle)} for t in range(start // 3600, end // 3600)]
                    return self.send(200, {"code": 200, "data": sets})
                return self.send(400, {"code": 400, "message": f"the stand-in does not model {u.path} step={step}"})

        self.serve(port, H)
        self.start()

    # --- the model ---------------------------------------------------------------------------
    def share(self, t):
        """The part of absolute hour t that has data at all (after the install): 0..1."""
        h0, h1 = t * 3600, (t + 1) * 3600
        return max(0.0, min(1.0, (h1 - max(h0, self.install)) / 3600))

    def in_prometheus(self, t):
        """The part of absolute hour t Prometheus still has: 0..1."""
        h0, h1 = t * 3600, (t + 1) * 3600
        return max(0.0, min(1.0, (h1 - max(h0, self.edge)) / 3600)) * self.share(t)

    def runs(self, container, t):
        return container.hours is None or (t % 24) in container.hours

    def idle_raw(self, node, t):
        return {"cpuCost": 0.02, "gpuCost": 0.0, "ramCost": 0.01, "pvCost": 0.0, "networkCost": 0.0,
                "loadBalancerCost": 0.0, "sharedCost": 0.0, "externalCost": 0.0}

    def allocation(self, name, props, costs, w0, w1, d0, d1, adjust):
        a = {"name": name, "properties": dict(props, cluster=CLUSTER),
             "window": {"start": stamp(w0), "end": stamp(w1)}, "start": stamp(d0), "end": stamp(d1),
             "minutes": (d1 - d0) / 60, "cpuCores": 0.5, "ramBytes": 1.0e9, "cpuEfficiency": 0.4, "ramEfficiency": 0.6,
             "totalEfficiency": 0.5}
        total = costs["sharedCost"] + costs["externalCost"]
        for cost, adj in PARTS:
            a[cost] = costs[cost]
            a[adj] = costs[cost] * ADJUSTMENT.get(cost, 0.0) if adjust else 0.0
            total += a[cost] + a[adj]
        a["sharedCost"], a["externalCost"], a["totalCost"] = costs["sharedCost"], costs["externalCost"], total
        return a

    def rows_of_hour(self, t, share, idle, etl):
        """(name, properties, raw costs) of absolute hour t, `share` of it answered."""
        out = []
        for c in self.containers + ([self.etl_only] if etl else [self.compute_only]):
            if self.runs(c, t):
                props = {"node": c.node, "namespace": c.ns, "pod": c.pod, "container": c.container,
                         "controller": f"{c.ns}-deploy", "controllerKind": "deployment",
                         "providerID": "i-0" if c.node == "node-a" else "i-1"}
                out.append((c.name, props, {k: v * share for k, v in c.raw(t).items()}))
        if idle:
            for node in ("node-a", "node-b"):
                costs = {k: v * share for k, v in self.idle_raw(node, t).items()}
                if etl and node == self.compute_only.node:  # the ETL's idle holds its cost
                    for k, v in self.compute_only.raw(t).items():
                        costs[k] += v * share
                out.append((f"{CLUSTER}/{node}/__idle__", {"node": node}, costs))
        return out

    def compute_hour(self, t, idle):
        share = self.in_prometheus(t)
        if share <= 0:
            return []
        h0 = t * 3600
        d0 = max(h0, self.edge, self.install)
        return [self.allocation(n, p, c, h0, h0 + 3600, d0, h0 + 3600, adjust=False)
                for n, p, c in self.rows_of_hour(t, share, idle, etl=False)]

    def etl_day(self, d):
        """The ETL's rows of day d: each allocation's hours summed, reconciled."""
        acc = {}
        for t in range(d * 24, d * 24 + 24):
            share = self.share(t)
            if share <= 0:
                continue
            for name, props, costs in self.rows_of_hour(t, share, True, etl=True):
                first = max(t * 3600, self.install)
                if name not in acc:
                    acc[name] = [props, dict(costs), first, (t + 1) * 3600]
                else:
                    for k, v in costs.items():
                        acc[name][1][k] += v
                    acc[name][3] = (t + 1) * 3600
        return [self.allocation(n, p, c, d * 86400, (d + 1) * 86400, d0, d1, adjust=True)
                for n, (p, c, d0, d1) in acc.items()]

    def cluster_day(self, d):
        rows = self.etl_day(d)
        if not rows:
            return None
        w = {"start": stamp(d * 86400), "end": stamp((d + 1) * 86400)}
        return {CLUSTER: {"name": CLUSTER, "properties": {"cluster": CLUSTER}, "window": w,
                          "totalCost": sum(a["totalCost"] for a in rows)}}

    def whole_hourly(self, d):
        """Whether the On-Demand API answers day d whole: every hour the ETL has data for is in
        Prometheus in full (the hour holding the edge is answered in half, which is more than
        the 1 % shortfall s3-export allows)."""
        return all(self.in_prometheus(t) >= self.share(t) for t in range(d * 24, d * 24 + 24))

    def assets(self):
        nodes = {}
        for i, (name, cap) in enumerate([("node-a", "ON_DEMAND"), ("node-b", "SPOT")]):
            nodes[f"AWS/111122223333/x/Compute/{CLUSTER}/Node/Kubernetes/i-{i}/{name}"] = {
                "type": "Node", "properties": {"cluster": CLUSTER, "name": name, "provider": "AWS"},
                "labels": {"label_node_kubernetes_io_instance_type": "m5.large" if i == 0 else "c6g.xlarge",
                           "eks_amazonaws_com_capacityType": cap, "topology_kubernetes_io_zone": f"us-east-1{'ab'[i]}",
                           "kubernetes_io_arch": "amd64" if i == 0 else "arm64", "kubernetes_io_os": "linux",
                           "eks_amazonaws_com_nodegroup": f"ng-{i}"}}
        return nodes


def is_close(a, b, tol=1e-9):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
