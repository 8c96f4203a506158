"""A stand-in Kubernetes API server on 127.0.0.1 for Prometheus' kubernetes_sd_configs.

Serves what Prometheus' Kubernetes discovery asks for. Read from prometheus/prometheus
discovery/kubernetes/kubernetes.go at d15adb9ad7 (main after v3.14.0; the test runs the
v0.316.0 module .ci/setup builds), the same in v2.42.0 at the lines given second:
- role endpoints (:477-556; v2.42.0 :488-546): a list and a watch of core v1 Endpoints, Services
  and Pods, in every namespace (`/api/v1/<kind>`: getNamespaces :268-275 returns NamespaceAll
  when the config names no namespace) or in each of `namespaces.names`
  (`/api/v1/namespaces/<ns>/<kind>`). Role endpoints reads core v1 Endpoints, not
  discovery.k8s.io EndpointSlices (those are role endpointslice, which no rendered job uses), so
  no EndpointSlice API is served;
- role pod (:558-): Pods; role node (:668-): Nodes (an empty list here). Namespaces are asked for
  only with attach_metadata.namespace, which no rendered job sets.
client-go asks for protobuf (:336 sets ContentType "application/vnd.kubernetes.protobuf"); the
API server may answer JSON and client-go decodes by the answer's Content-Type, so everything here
is JSON. A list answers the objects with a resourceVersion. A watch (`?watch=true`) is held open
until `timeoutSeconds` or at most WATCH_HOLD_S, then ends (client-go's reflector watches again),
bounded and ended by stop(). Current client-go lists by streaming (the WatchList feature: a watch
with sendInitialEvents=true&resourceVersionMatch=NotOlderThan, and no LIST at all), so such a
watch first sends every object as an ADDED event and then a BOOKMARK carrying the annotation
"k8s.io/initial-events-end": "true", as the API server does (Kubernetes API concepts, "Streaming
lists", https://kubernetes.io/docs/reference/using-api/api-concepts/#streaming-lists).
Every request needs "Authorization: Bearer <token>", else 401 as the API server answers.
"""
import http.server
import json
import re
import threading
import time
import urllib.parse

from harness import LoopbackServer

WATCH_HOLD_S = 5.0
PATH = re.compile(r"^/api/v1/(?:namespaces/([a-z0-9-]+)/)?(endpoints|services|pods|nodes)$")
KINDS = {"endpoints": "EndpointsList", "services": "ServiceList", "pods": "PodList",
         "nodes": "NodeList"}
ITEM_KINDS = {"endpoints": "Endpoints", "services": "Service", "pods": "Pod", "nodes": "Node"}
RESOURCE_VERSION = "100"


class KubeDiscoveryStandIn(LoopbackServer):
    def __init__(self, port, token, objects):
        """objects: {"endpoints": [...], "services": [...], "pods": [...], "nodes": [...]}."""
        self.port = port
        self.token = token
        self.objects = objects
        self.requests = []  # (path, query) of every authorised request
        self.unauthorised = 0
        self.stopping = threading.Event()
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, code, obj):
                body = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query)
                if self.headers.get("Authorization") != f"Bearer {standin.token}":
                    standin.unauthorised += 1
                    return self.reply(401, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                            "status": "Failure", "message": "Unauthorized",
                                            "reason": "Unauthorized", "code": 401})
                standin.requests.append((url.path, query))
                m = PATH.match(url.path)
                if not m:
                    return self.reply(404, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                            "status": "Failure", "reason": "NotFound", "code": 404,
                                            "message": f"the server could not find {url.path}"})
                namespace, kind = m.groups()
                items = [o for o in standin.objects.get(kind, [])
                         if namespace is None or o["metadata"].get("namespace") == namespace]
                if query.get("watch") == ["true"]:
                    return self.watch(query, kind, items)
                self.reply(200, {"kind": KINDS[kind], "apiVersion": "v1",
                                 "metadata": {"resourceVersion": RESOURCE_VERSION}, "items": items})

            def chunk(self, data):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

            def watch(self, query, kind, items):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                if query.get("sendInitialEvents") == ["true"]:
                    for o in items:
                        self.chunk(json.dumps({"type": "ADDED", "object": o}).encode() + b"\n")
                    end = {"kind": ITEM_KINDS[kind], "apiVersion": "v1", "metadata": {
                        "resourceVersion": RESOURCE_VERSION,
                        "annotations": {"k8s.io/initial-events-end": "true"}}}
                    self.chunk(json.dumps({"type": "BOOKMARK", "object": end}).encode() + b"\n")
                    self.wfile.flush()
                try:
                    limit = min(float(query.get("timeoutSeconds", ["5"])[0]), WATCH_HOLD_S)
                except ValueError:
                    limit = WATCH_HOLD_S
                standin.stopping.wait(limit)
                try:
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass
                self.close_connection = True

        self.serve(port, Handler)

    def stop(self):
        self.stopping.set()
        super().stop()


def endpoints_for(service, pod, ip, port_numbers):
    """The v1 Endpoints the endpoints controller writes for `service` selecting `pod` at `ip`:
    one subset, the pod as target, each Service port by name with the pod's port number
    (port_numbers: {service port name: number the pod listens on})."""
    meta = service["metadata"]
    return {
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                     "labels": meta.get("labels", {}), "resourceVersion": "7",
                     "uid": f"ep-{meta['name']}"},
        "subsets": [{
            "addresses": [{"ip": ip, "nodeName": "node-1",
                           "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"],
                                         "namespace": pod["metadata"]["namespace"],
                                         "uid": pod["metadata"]["uid"]}}],
            "ports": [{"name": p["name"], "port": port_numbers[p["name"]],
                       "protocol": p.get("protocol", "TCP")} for p in service["spec"]["ports"]],
        }],
    }


def pod_from_deployment(deployment, name, ip, port_numbers):
    """A running Pod of `deployment` (its template's labels and containers) at `ip`, each named
    container port replaced by the number the stand-in process listens on."""
    tpl = deployment["spec"]["template"]
    containers = []
    for c in tpl["spec"]["containers"]:
        ports = [dict(p, containerPort=port_numbers.get(p.get("name"), p["containerPort"]))
                 for p in c.get("ports", [])]
        containers.append({"name": c["name"], "image": c["image"], "ports": ports})
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": deployment["metadata"]["namespace"],
                     "labels": tpl["metadata"]["labels"], "uid": f"pod-{name}",
                     "resourceVersion": "5"},
        "spec": {"containers": containers, "nodeName": "node-1"},
        "status": {"phase": "Running", "podIP": ip, "hostIP": ip,
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "startTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    }
