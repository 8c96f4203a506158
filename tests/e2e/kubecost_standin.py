"""A stand-in Kubecost Allocation API on 127.0.0.1, built from the fixtures in tests/fixtures/kubecost.

It answers /model/allocation (Kubecost) and /allocation (OpenCost) with allocations derived from
the namespace-level fixture answers, and can be switched into failure modes: HTTP 500, a hang
longer than the client's timeout, garbage, a truncated body, an empty 200 body, an HTML 504 page
(the 500, empty and 504 bodies are the fixtures in refused/).

Behind an ingress (`ingress_cookie`, `ingress_basic`) it answers 401 unless the request carries
that cookie or those basic-auth credentials, the way Kubecost's documented ingress setups do:
ingress-nginx's `auth-type: basic` answers 401 with `WWW-Authenticate: Basic realm=...`
(https://kubernetes.github.io/ingress-nginx/examples/auth/basic/, linked from Kubecost's
https://docs.kubecost.com/install-and-configure/install/ingress-examples), and an
oauth2-proxy/SAML front (Kubecost's SAML guide) answers 401 to API calls without its session
cookie.

It behaves like the real servers where the exporter depends on it (issue 14; OpenCost lines as
of opencost/opencost@5f65333, Oct 2024):
* `aggregate` groups the pod allocations by cluster/namespace/pod/label:<key> and names each
  group by its values joined with `/`, `__unallocated__` for a missing label (OpenCost
  core/pkg/opencost/allocationprops.go GenerateKey). Merged groups keep only the properties
  their members agree on, and drop pod `labels` unless includeAggregatedMetadata=true while
  keeping `namespaceLabels` (allocationprops.go:575-610 Intersection, CORE-140 comment;
  allocation.go:1535 sets AggregatedMetadata from the option).
* idle: flavour "kubecost" reads `idle` (default true); flavour "opencost" (OpenCost, also behind
  its UI on Kubecost's path) reads only `includeIdle`, default false (OpenCost
  pkg/costmodel/aggregation.go:2260 `qp.GetBool("includeIdle", false)`). Idle is one `__idle__`
  unless splitIdle=true, then `<cluster>/__idle__` (core/pkg/opencost/allocation.go:1990-2002,
  AggregateBy step 11).
* `window=1h` is the current hour: for the first `null_minutes` of it the answer is
  `data:[null]` (kubecost/kubecost#3758; CloudTuner's chart comment on window "1h").
* `filter=cluster:"<id>"` keeps that cluster (filter language v2, core/pkg/filter/ast/parser.go).
* allocations carry `start`/`end` inside the set window; `data_lag_hours` makes `end` lag it.
* cost adjustments: `*CostAdjustment` are part of totalCost but not of the resource's `*Cost`
  (core/pkg/opencost/allocation.go TotalCost).
"""
import base64
import copy
import http.server
import json
import os
import time
import urllib.parse

from harness import LoopbackServer

WINDOW = {"start": "2024-01-01T00:00:00Z", "end": "2024-01-01T02:00:00Z"}
WINDOW_HOURS = 2.0
COST_KEYS = ("cpuCost", "gpuCost", "ramCost", "pvCost", "networkCost", "loadBalancerCost",
             "sharedCost", "externalCost", "totalCost")
SCALED_KEYS = COST_KEYS + ("cpuCoreHours", "ramByteHours", "pvByteHours", "cpuCores", "ramBytes",
                           "cpuCoreRequestAverage", "cpuCoreUsageAverage",
                           "ramByteRequestAverage", "ramByteUsageAverage",
                           "networkTransferBytes", "networkReceiveBytes")


def fixture_templates(fixtures_dir):
    """Allocation objects from the namespace-level JSON fixtures."""
    out = []
    for name in ("opencost_allocation_namespace-7d_5dp.json",
                 "opencost_allocation-compute_namespace-2d_6dp.json"):
        with open(os.path.join(fixtures_dir, name), encoding="utf-8") as f:
            for alloc_set in json.load(f)["data"]:
                out.extend(alloc_set.values())
    return out


def refused_body(fixtures_dir, name):
    """The bytes of a fixture answer the exporter must refuse (tests/fixtures/kubecost/refused)."""
    with open(os.path.join(fixtures_dir, "refused", name), "rb") as f:
        return f.read()


ADJUSTMENTS = (("cpuCostAdjustment", "cpuCost", 0.1), ("ramCostAdjustment", "ramCost", -0.05),
               ("pvCostAdjustment", "pvCost", 0.2), ("networkCostAdjustment", "networkCost", 0.5))


def build_allocations(fixtures_dir, drop_namespace=None, drop_pods=(), cluster="cluster-one",
                      scale=1.0, adjustments=True):
    """name -> pod allocation (aggregate=namespace,pod); every number traceable to a fixture."""
    allocations = {}
    names = ["kube-system", "opencost", "prometheus", "payments", "données-ü", "search"]
    fractions = (0.5, 0.25, 0.15, 0.1)
    templates = fixture_templates(fixtures_dir)
    assert len(templates) == len(names), (len(templates), len(names))
    for ns, template in zip(names, templates):
        if ns == drop_namespace:
            continue
        for i, f in enumerate(fractions):
            pod = f"{ns}-pod-{i}"
            if pod in drop_pods:
                continue
            a = copy.deepcopy(template)
            a["name"] = f"{ns}/{pod}"
            labels = {"team": "team-" + ns[:3], "app": pod}
            if ns == "search" and i == 3:
                del labels["team"]  # a pod without the label: label:team -> __unallocated__
            a["properties"] = {"cluster": cluster, "namespace": ns, "pod": pod, "labels": labels,
                               "namespaceLabels": {"team": "team-" + ns[:3]}}
            a["window"] = dict(WINDOW)
            a["start"], a["end"] = WINDOW["start"], WINDOW["end"]
            a["minutes"] = WINDOW_HOURS * 60
            for k in SCALED_KEYS:
                if isinstance(a.get(k), (int, float)):
                    a[k] = round(a[k] * f * (1 + i * 0.37) * scale, 6)
            if i == 3:
                a["cpuEfficiency"] = None  # Kubecost's null: absent, never 0
                a["pvCost"] = None
            if adjustments and i == 1:  # reconciled: adjustments in totalCost only
                for adj, base, frac in ADJUSTMENTS:
                    a[adj] = round((a.get(base) or 0.0) * frac, 6)
                    a["totalCost"] = round(a["totalCost"] + a[adj], 6)
            allocations[a["name"]] = a
    allocations["__idle__"] = {"name": "__idle__", "properties": {"cluster": cluster},
                               "window": dict(WINDOW), "start": WINDOW["start"],
                               "end": WINDOW["end"], "minutes": 120, "cpuCost": 0.5 * scale,
                               "ramCost": 0.25 * scale, "gpuCost": 0.0,
                               "totalCost": 0.75 * scale, "cpuEfficiency": 0,
                               "ramEfficiency": 0, "totalEfficiency": 0}
    return allocations


def build_federation(fixtures_dir):
    """A Kubecost Enterprise aggregator's pods: two clusters with the same namespace names."""
    out = {}
    for cluster, scale in (("cluster-one", 1.0), ("cluster-two", 3.0)):
        for name, a in build_allocations(fixtures_dir, cluster=cluster, scale=scale).items():
            out[f"{cluster}/{name}"] = a
    return out


NUMERIC_SUM = ("minutes",)


def merge_group(members, include_metadata):
    """One aggregated allocation: numbers summed (null stays null only if all are null),
    properties kept where all members agree (allocationprops.go Intersection)."""
    if len(members) == 1:
        return copy.deepcopy(members[0])
    out = {}
    keys = set().union(*members)
    for k in keys:
        vals = [m.get(k) for m in members]
        if k == "properties":
            props = {}
            for pk in set().union(*(v or {} for v in vals)):
                pv = [(v or {}).get(pk) for v in vals]
                if pk == "labels":
                    if include_metadata:  # the intersection of the members' labels
                        common = dict(pv[0] or {})
                        for other in pv[1:]:
                            common = {lk: lv for lk, lv in common.items()
                                      if (other or {}).get(lk) == lv}
                        props[pk] = common
                    continue  # dropped unless includeAggregatedMetadata=true
                if pk == "namespaceLabels":
                    if len({(v or {}).get("namespace") for v in vals}) == 1:
                        props[pk] = pv[0]
                    continue
                if all(x == pv[0] for x in pv):
                    props[pk] = pv[0]
            out[k] = props
        elif k in ("window", "name"):
            out[k] = vals[0]
        elif k == "start":
            out[k] = min(v for v in vals if v)
        elif k == "end":
            out[k] = max(v for v in vals if v)
        elif k.endswith("Efficiency"):
            out[k] = None  # not needed by these tests: Kubecost recomputes it
        elif any(isinstance(v, (int, float)) for v in vals):
            out[k] = round(sum(v for v in vals if isinstance(v, (int, float))), 9)
        else:
            out[k] = vals[0]
    return out


def aggregate(pods, query, flavour):
    """The answer set for `query` (parse_qs dict) over pod allocations, as the server builds it."""
    def q(name, default=None):
        return query.get(name, [default])[0]

    if flavour == "opencost":
        idle_on = q("includeIdle", "false") == "true"
    else:
        idle_on = q("idle", "true") == "true"
    split_idle = q("splitIdle", "false") == "true"
    include_metadata = q("includeAggregatedMetadata", "false") == "true"
    want_cluster = None
    flt = q("filter")
    if flt:
        assert flt.startswith('cluster:"') and flt.endswith('"'), flt
        want_cluster = flt[len('cluster:"'):-1]
    props = [p.strip() for p in q("aggregate", "namespace,pod").split(",")]
    groups, idle = {}, {}
    for a in pods.values():
        p = a["properties"]
        if want_cluster is not None and p.get("cluster") != want_cluster:
            continue
        if a["name"].endswith("__idle__"):
            key = f"{p['cluster']}/__idle__" if split_idle else "__idle__"
            idle.setdefault(key, []).append(a)
            continue
        parts = []
        for prop in props:
            if prop.startswith("label:"):
                parts.append(p.get("labels", {}).get(prop[len("label:"):], "__unallocated__"))
            else:
                parts.append(p.get(prop, "__unallocated__"))
        groups.setdefault("/".join(parts), []).append(a)
    out = {}
    for key, members in list(groups.items()) + (list(idle.items()) if idle_on else []):
        merged = merge_group(members, include_metadata)
        merged["name"] = key
        out[key] = merged
    return out


class StandIn(LoopbackServer):
    def __init__(self, fixtures_dir, port, token=None, ingress_cookie=None, ingress_basic=None):
        self.fixtures_dir = fixtures_dir
        self.mode = "ok"
        self.flavour = "kubecost"
        self.null_minutes = 0  # minutes into the hour for which window=1h answers data:[null]
        self.minute_of_hour = lambda: time.gmtime().tm_min
        self.allocations = build_allocations(fixtures_dir)
        self.refused = {mode: refused_body(fixtures_dir, name) for mode, name in (
            ("500", "opencost_error_500.json"), ("empty", "opencost_empty-200.txt"),
            ("html504", "nginx_504_gateway-timeout.html"))}
        self.requests = []
        self.auth_headers = []
        self.token = token
        self.ingress_cookie = ingress_cookie  # e.g. "token=abc": required in the Cookie header
        self.ingress_basic = ingress_basic    # (user, password) required as basic auth
        self.headers_seen = []                # every request's headers, as a dict
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send(self, status, body, ctype="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test): expected

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                standin.requests.append((url.path, urllib.parse.parse_qs(url.query)))
                standin.auth_headers.append(self.headers.get("Authorization"))
                standin.headers_seen.append(dict(self.headers.items()))
                if not standin.ingress_allows(self.headers):
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="Authentication Required"')
                    body = b"<html><head><title>401 Authorization Required</title></head></html>\n"
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if url.path not in ("/model/allocation", "/allocation"):
                    return self.send(404, b"404 page not found\n", "text/plain")
                mode = standin.mode
                if mode == "500":
                    return self.send(500, standin.refused["500"])
                if mode == "timeout":
                    time.sleep(4)
                    return self.send(200, b"{}")
                if mode == "garbage":
                    return self.send(200, b"\x00\x01 definitely not json \xff")
                if mode == "truncated":
                    body = standin.body()
                    return self.send(200, body[: len(body) // 2])
                if mode == "empty":
                    return self.send(200, standin.refused["empty"])
                if mode == "html504":
                    return self.send(504, standin.refused["html504"], "text/html")
                query = urllib.parse.parse_qs(url.query)
                if (query.get("window") == ["1h"]
                        and standin.minute_of_hour() < standin.null_minutes):
                    return self.send(200, b'{"code":200,"status":"success","data":[null]}')
                return self.send(200, standin.body(query))

        self.serve(port, Handler)

    def ingress_allows(self, headers):
        if self.ingress_cookie is not None:
            cookies = [c.strip() for c in (headers.get("Cookie") or "").split(";")]
            if self.ingress_cookie not in cookies:
                return False
        if self.ingress_basic is not None:
            want = "Basic " + base64.b64encode(":".join(self.ingress_basic).encode()).decode()
            if headers.get("Authorization") != want:
                return False
        return True

    def answer(self, query=None):
        """The set the server builds for `query` (None: every pod allocation as it is)."""
        if query is None:
            return self.allocations
        return aggregate(self.allocations, query, self.flavour)

    def body(self, query=None):
        return json.dumps({"code": 200, "status": "success",
                           "data": [self.answer(query)]}).encode()

