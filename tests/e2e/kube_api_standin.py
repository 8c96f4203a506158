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
API server's bearer-token authenticator answers. `token` may be a dict {token: replica name} so
the switches below can tell the replicas apart (each service account has its own token).

Switches for leader-election timing tests (each models a real behaviour, cited where set):
hold_next_get(name, seconds, then), cut(name)/uncut(name), flap, delay_s, hold_all.
"""
import http.server
import json
import re
import threading
import time

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
        self.counts = {"GET": 0, "POST": 0, "PUT": 0, "401": 0, "409": 0, "500": 0, "held": 0}
        self.tokens = token if isinstance(token, dict) else {token: ""}
        self.token = next(iter(self.tokens))
        # The API server's API Priority and Fairness queues a request (or a slow replica behind
        # the load balancer takes long) before it is served: the answer is read from storage
        # when it is finally processed, so it carries the Lease as of then, not as of arrival
        # (https://kubernetes.io/docs/concepts/cluster-administration/flow-control/).
        # {name: (seconds, then)}: the next GET from `name` waits `seconds`, then `then()` runs,
        # then the Lease is read and answered.
        self.held_gets = {}
        # A network partition between one replica and the API server: its packets are dropped,
        # so its requests get no answer and end at the client's own deadline.
        self.cut_off = set()
        # etcd flapping behind the API server: every other request fails with 500, as the API
        # server answers "etcdserver: leader changed" / "etcdserver: request timed out".
        self.flap = False
        self.flap_turn = 0
        # An overloaded API server: every answer is written this many seconds late.
        self.delay_s = 0.0
        # An API server that accepts connections but answers nothing (hung, or every request
        # queued by API Priority and Fairness): every request is held until this is cleared.
        self.hold_all = False
        self.stopping = False
        self.held_now = 0
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
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in standin.tokens:
                    with standin.lock:
                        standin.counts["401"] += 1
                    return self.reply(401, status(401, "Unauthorized", "Unauthorized"))
                who = standin.tokens[auth[7:]]
                if standin.hold_until(lambda: standin.hold_all or who in standin.cut_off):
                    return self.close_connection_silently()
                with standin.lock:
                    held = standin.held_gets.pop(who, None) if method == "GET" else None
                if held:
                    seconds, then = held
                    deadline = time.time() + seconds
                    standin.hold_until(lambda: time.time() < deadline)
                    if then:
                        then()
                if standin.delay_s:
                    deadline = time.time() + standin.delay_s
                    standin.hold_until(lambda: time.time() < deadline)
                if standin.flap:
                    with standin.lock:
                        standin.flap_turn += 1
                        fail = standin.flap_turn % 2 == 1
                        if fail:
                            standin.counts["500"] += 1
                    if fail:
                        return self.reply(500, status(500, "InternalError",
                                                      "etcdserver: leader changed"))
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

            def close_connection_silently(self):
                # The client sees its connection closed with no answer (or has given up already).
                self.close_connection = True

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

            def do_PUT(self):
                self.handle_any("PUT")

        self.serve(port, Handler)

    def hold_until(self, holding, limit_s=30.0):
        """Waits while holding() is true (bounded; ends at stop()). True if it was held."""
        if not holding():
            return False
        with self.lock:
            self.counts["held"] += 1
            self.held_now += 1
        deadline = time.time() + limit_s
        while holding() and not self.stopping and time.time() < deadline:
            time.sleep(0.02)
        with self.lock:
            self.held_now -= 1
        return True

    def hold_next_get(self, name, seconds, then=None):
        with self.lock:
            self.held_gets[name] = (seconds, then)

    def cut(self, name):
        with self.lock:
            self.cut_off.add(name)

    def uncut(self, name):
        with self.lock:
            self.cut_off.discard(name)

    def stop(self):
        self.stopping = True
        super().stop()

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
