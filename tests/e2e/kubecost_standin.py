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


def build_allocations(fixtures_dir, drop_namespace=None, drop_pods=()):
    """name -> allocation for aggregate=namespace,pod; every number traceable to a fixture."""
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
            a["properties"] = {"cluster": "cluster-one", "namespace": ns, "pod": pod,
                               "labels": {"team": "team-" + ns[:3], "app": pod}}
            a["window"] = dict(WINDOW)
            a["minutes"] = WINDOW_HOURS * 60
            for k in SCALED_KEYS:
                if isinstance(a.get(k), (int, float)):
                    a[k] = round(a[k] * f * (1 + i * 0.37), 6)
            if i == 3:
                a["cpuEfficiency"] = None  # Kubecost's null: absent, never 0
                a["pvCost"] = None
            allocations[a["name"]] = a
    allocations["__idle__"] = {"name": "__idle__", "properties": {"cluster": "cluster-one"},
                               "window": dict(WINDOW), "minutes": 120, "cpuCost": 0.5,
                               "ramCost": 0.25, "gpuCost": 0.0, "totalCost": 0.75,
                               "cpuEfficiency": 0, "ramEfficiency": 0, "totalEfficiency": 0}
    return allocations


class StandIn(LoopbackServer):
    def __init__(self, fixtures_dir, port, token=None, ingress_cookie=None, ingress_basic=None):
        self.fixtures_dir = fixtures_dir
        self.mode = "ok"
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
                return self.send(200, standin.body())

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

    def body(self):
        return json.dumps({"code": 200, "status": "success",
                           "data": [self.allocations]}).encode()

