"""A stand-in Kubernetes API server on 127.0.0.1 for coordination.k8s.io/v1 Leases.

Behaves as the real API server does for what leader election uses:
- GET    /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}  200 Lease | 404 NotFound
- POST   /apis/coordination.k8s.io/v1/namespaces/{ns}/leases         201 Lease | 409 AlreadyExists
- PUT    /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}  200 Lease | 404 | 409 Conflict
  | 422 when metadata.resourceVersion is missing.
Optimistic concurrency: every write bumps metadata.resourceVersion; an update naming another
version is refused with 409 Conflict, reason "Conflict" (Kubernetes API conventions,
https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency
"... the server will reject the update with a 409 Conflict status if the resourceVersion does
not match"). Errors are metav1.Status objects (same document, "Response Status Kind"). PUT never
creates: the Lease registry strategy does not allow create on update
(kubernetes pkg/registry/coordination/lease/strategy.go AllowCreateOnUpdate returns false).
Authentication: a request without "Authorization: Bearer <token>" gets 401 Unauthorized, as the
API server's bearer-token authenticator answers.
"""
import http.server
import json
import re
import threading

from harness import LoopbackServer

LEASE_PATH = re.compile(r"^/apis/coordination\.k8s\.io/v1/namespaces/([a-z0-9-]+)/leases(?:/([a-z0-9.-]+))?$")


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class KubeApiStandIn(LoopbackServer):
    def __init__(self, port, token, store=None):
        self.port = port
        self.token = token
        # Shared across restarts of the server (the "etcd" of the stand-in).
        self.store = store if store is not None else {"leases": {}, "version": 1000}
        self.lock = threading.Lock()
        self.counts = {"GET": 0, "POST": 0, "PUT": 0, "401": 0, "409": 0}
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
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def handle_any(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization") != "Bearer " + standin.token:
                    with standin.lock:
                        standin.counts["401"] += 1
                    return self.reply(401, status(401, "Unauthorized", "Unauthorized"))
                m = LEASE_PATH.match(self.path)
                if not m:
                    return self.reply(404, status(404, "NotFound", "the server could not find the requested resource"))
                ns, name = m.group(1), m.group(2)
                with standin.lock:
                    standin.counts[method] = standin.counts.get(method, 0) + 1
                    leases = standin.store["leases"]
                    if method == "GET" and name:
                        lease = leases.get((ns, name))
                        if lease is None:
                            return self.reply(404, status(404, "NotFound", f'leases.coordination.k8s.io "{name}" not found'))
                        return self.reply(200, lease)
                    try:
                        obj = json.loads(raw)
                    except ValueError:
                        return self.reply(400, status(400, "BadRequest", "invalid JSON"))
                    if obj.get("kind") != "Lease" or not isinstance(obj.get("spec"), dict):
                        return self.reply(400, status(400, "BadRequest", "not a Lease"))
                    meta = obj.setdefault("metadata", {})
                    if method == "POST" and not name:
                        key = (ns, meta.get("name", ""))
                        if key in leases:
                            standin.counts["409"] += 1
                            return self.reply(409, status(409, "AlreadyExists", f'leases.coordination.k8s.io "{key[1]}" already exists'))
                        standin.store["version"] += 1
                        meta.update({"namespace": ns, "resourceVersion": str(standin.store["version"]),
                                     "uid": "lease-uid-1"})
                        leases[key] = obj
                        return self.reply(201, obj)
                    if method == "PUT" and name:
                        current = leases.get((ns, name))
                        if current is None:
                            return self.reply(404, status(404, "NotFound", f'leases.coordination.k8s.io "{name}" not found'))
                        rv = meta.get("resourceVersion")
                        if not rv:
                            return self.reply(422, status(422, "Invalid", "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"))
                        if rv != current["metadata"]["resourceVersion"]:
                            standin.counts["409"] += 1
                            return self.reply(409, status(409, "Conflict", f'Operation cannot be fulfilled on leases.coordination.k8s.io "{name}": the object has been modified; please apply your changes to the latest version and try again'))
                        standin.store["version"] += 1
                        meta.update({"namespace": ns, "name": name, "uid": current["metadata"]["uid"],
                                     "resourceVersion": str(standin.store["version"])})
                        leases[(ns, name)] = obj
                        return self.reply(200, obj)
                return self.reply(405, status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"))

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

            def do_PUT(self):
                self.handle_any("PUT")

        self.serve(port, Handler)

    def lease(self, ns, name):
        with self.lock:
            lease = self.store["leases"].get((ns, name))
            return json.loads(json.dumps(lease)) if lease else None

    def bump(self, ns, name):
        """Another writer touched the Lease (e.g. kubectl annotate): its version moves on."""
        with self.lock:
            lease = self.store["leases"][(ns, name)]
            self.store["version"] += 1
            lease["metadata"]["resourceVersion"] = str(self.store["version"])
