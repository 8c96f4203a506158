#!/usr/bin/env python3
"""The install delivers (issue 22): what `helm install` of charts/kubecost-integration puts in a
cluster, run for real on loopback, for each of the guide's values files.

For the quick start, production, development and high-scale CloudTuner values files
(charts/kubecost-integration/ci/) and AWS's per-cluster values file (examples/):
1. real Helm (`helm template`, the version .ci/setup builds) renders the chart with the
   cost-analyzer stand-in (tests/chart/cost-analyzer-standin, Kubecost's Prometheus ConfigMap
   and Services) vendored into charts/ of a temporary copy of the chart;
2. the rendered Prometheus config (the stand-in's ConfigMap, prometheus.yml) must hold every job
   of Kubecost's default extraScrapeConfigs unchanged (compared with the stand-in rendered alone)
   and a job for the exporter;
3. the exporter (the release binary) runs with the env of the rendered Deployment, only the
   Kubecost URL's host:port replaced by a stand-in Kubecost (kubecost_standin.py); the URL's
   host must first be a Service the render holds, on one of its ports. With leader election
   (high-scale: two replicas) one replica runs, its Lease on kube_api_standin.py through a
   kubeconfig, as in-cluster settings would give it. env valueFrom fieldRef is filled as the
   kubelet fills it;
4. a real Prometheus (upstream, the module .ci/setup builds with Kubernetes and DNS discovery:
   Debian's 2.42.0+ds has no Kubernetes discovery and refuses this config) runs the rendered
   prometheus.yml with these rewrites only:
   - global scrape_interval / scrape_timeout / evaluation_interval 1s (seconds, not minutes);
   - every kubernetes_sd_configs entry gets api_server http://127.0.0.1:<stand-in> and a bearer
     token (the in-cluster config and its service-account files do not exist here);
   - every remote_write url's scheme://host:port becomes the loopback receiver (path kept), a
     basic_auth.password_file points at a file holding the Secret's password, and queue_config
     gets batch_send_deadline 1s, min_backoff 100ms, max_backoff 1s;
   its discovery reads the rendered Services, the exporter's Pod and Endpoints (address
   127.0.0.1, the exporter's port) from kube_discovery_standin.py;
5. the receiver (remote_write_receiver.py) checks basic auth and the Cloud-Account-Id header
   (every request must carry the values file's tenant); the test asserts
   cloudtuner_kubecost_namespace_total_cost arrives with the values file's tenant id, and that
   Prometheus loaded Kubecost's `kubecost` job (/api/v1/status/config).
AWS's values install no Kubecost and no exporter (docs/s3-export.md): for it the test asserts the
render is the s3-export CronJob and its ServiceAccount only, with the AWS image, and no Prometheus.

Every server is on 127.0.0.1 and stopped; every wait is bounded. Prints the seconds per values
file. Exit 1 names every failed check.
"""
import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import free_port, http_get  # noqa: E402
from kube_api_standin import KubeApiStandIn  # noqa: E402
from kube_discovery_standin import KubeDiscoveryStandIn, endpoints_for, pod_from_deployment  # noqa: E402
from kubecost_standin import StandIn  # noqa: E402
from remote_write_receiver import RemoteWriteReceiver  # noqa: E402

RELEASE = "cloudtuner-k8s"
NAMESPACE = "cloudtuner-system"
TOKEN = "discovery-token"
SECRET_PASSWORD = "password-from-the-mounted-secret"
KUBECOST_JOBS = ("kubecost", "kubecost-networking", "kubecost-aggregator", "kubecost-dcgm-exporter")
SERIES = "cloudtuner_kubecost_namespace_total_cost"
CLOUDTUNER_FILES = (("quick start", "ci/quick-start-values.yaml"),
                    ("production", "ci/seed-guide-production-values.yaml"),
                    ("development", "ci/development-values.yaml"),
                    ("high-scale", "ci/high-scale-values.yaml"))
AWS_FILE = ("AWS per-cluster", "examples/aws-kubecost-s3-exporter-values.yaml")


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


class Proc:
    def __init__(self, name, argv, log_dir, env=None):
        self.log_path = os.path.join(log_dir, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def tail(self, n=1500):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-n:]


def wait_for(predicate, timeout, step=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            got = predicate()
            if got:
                return got
        except OSError:
            pass
        time.sleep(step)
    return None


def vendored_chart(chart, standin, tmp):
    """A copy of the chart with the stand-in as its cost-analyzer dependency in charts/."""
    copy = os.path.join(tmp, "chart", os.path.basename(chart.rstrip("/")))
    shutil.copytree(chart, copy, ignore=shutil.ignore_patterns("charts", "*.tgz"))
    os.makedirs(os.path.join(copy, "charts"))
    shutil.copytree(standin, os.path.join(copy, "charts", "cost-analyzer"))
    return copy


def helm_template(helm, chart, values_files=(), extra=()):
    argv = [helm, "template", RELEASE, chart, "-n", NAMESPACE]
    for f in values_files:
        argv += ["-f", f]
    r = subprocess.run(argv + list(extra), capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise Failed(f"helm template failed: {r.stderr.strip()}")
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def find(docs, kind, name=None):
    for d in docs:
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name):
            return d
    return None


def prometheus_config(docs):
    cm = find(docs, "ConfigMap", f"{RELEASE}-prometheus-server")
    check(cm is not None, f"no ConfigMap {RELEASE}-prometheus-server (Kubecost's Prometheus) rendered")
    return yaml.safe_load(cm["data"]["prometheus.yml"])


def kubecost_default_jobs(helm, standin):
    """Kubecost's own default jobs, the stand-in rendered alone under the name Helm gives it as our
    dependency (alias kubecost)."""
    docs = helm_template(helm, standin, extra=["--set", "nameOverride=kubecost"])
    return {j["job_name"]: j for j in prometheus_config(docs)["scrape_configs"]}


def resolve_env(container, pod_name):
    """The container's env as the kubelet gives it: values, and fieldRef metadata.name/namespace."""
    env = {}
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = str(e["value"])
            continue
        ref = (e.get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath")
        check(ref in ("metadata.name", "metadata.namespace"), f"env {e['name']}: unsupported valueFrom {e}")
        env[e["name"]] = pod_name if ref == "metadata.name" else NAMESPACE
    return env


def check_service_url(url, docs):
    """The URL's host is <service>.<namespace>.svc.cluster.local of a rendered Service, and its port
    one of that Service's ports."""
    u = urllib.parse.urlparse(url)
    host, port = u.hostname, u.port or (443 if u.scheme == "https" else 80)
    parts = host.split(".")
    check(len(parts) >= 3 and parts[2] == "svc", f"Kubecost URL {url}: not a Service address")
    svc = find(docs, "Service", parts[0])
    names = sorted(d["metadata"]["name"] for d in docs if d["kind"] == "Service")
    check(svc is not None and svc["metadata"]["namespace"] == parts[1],
          f"Kubecost URL {url} names Service {parts[1]}/{parts[0]}, which the install does not create "
          f"(Services rendered: {names})")
    ports = [p["port"] for p in svc["spec"]["ports"]]
    check(port in ports, f"Kubecost URL {url}: port {port} is not a port of Service {parts[0]} {ports}")


def rewrite_prometheus(cfg, api_port, receiver_port, tmp, notes):
    g = cfg.setdefault("global", {})
    g.update({"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"})
    for job in cfg.get("scrape_configs", []):
        for sd in job.get("kubernetes_sd_configs", []):
            sd["api_server"] = f"http://127.0.0.1:{api_port}"
            sd["authorization"] = {"credentials": TOKEN}
    password_file = os.path.join(tmp, "remote-write-password")
    with open(password_file, "w") as f:
        f.write(SECRET_PASSWORD)
    for rw in cfg.get("remote_write", []):
        u = urllib.parse.urlparse(rw["url"])
        rw["url"] = urllib.parse.urlunparse(("http", f"127.0.0.1:{receiver_port}", u.path, "", u.query, ""))
        auth = rw.get("basic_auth") or {}
        if "password_file" in auth:
            notes.append(f"password_file {auth['password_file']} -> a file holding the Secret's password")
            auth["password_file"] = password_file
        rw.setdefault("queue_config", {}).update(
            {"batch_send_deadline": "1s", "min_backoff": "100ms", "max_backoff": "1s"})
    return cfg


def run_cloudtuner(label, values_file, args, chart, kubecost_jobs, tmp, binary):
    values = yaml.safe_load(open(values_file))
    docs = helm_template(args.helm, chart, [values_file])
    cfg = prometheus_config(docs)
    jobs = {j["job_name"]: j for j in cfg.get("scrape_configs", [])}
    print(f"  [{label}] rendered Prometheus jobs: {', '.join(jobs)}")

    failures = []
    for name in KUBECOST_JOBS:
        if name not in jobs:
            failures.append(f"Kubecost's `{name}` job is not in the rendered Prometheus config")
        elif jobs[name] != kubecost_jobs[name]:
            failures.append(f"Kubecost's `{name}` job differs from Kubecost's default: {jobs[name]} != {kubecost_jobs[name]}")

    dep = find(docs, "Deployment", "kubecost-allocation-exporter")
    svc = find(docs, "Service", "kubecost-allocation-exporter")
    check(dep is not None and svc is not None, "no exporter Deployment/Service rendered")
    tpl_labels = dep["spec"]["template"]["metadata"]["labels"]
    check(all(tpl_labels.get(k) == v for k, v in svc["spec"]["selector"].items()),
          f"the exporter Service's selector {svc['spec']['selector']} does not select its pods {tpl_labels}")
    container = dep["spec"]["template"]["spec"]["containers"][0]
    chart_meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
    want_tag = ((values.get("allocationExporter") or {}).get("image") or {}).get("tag") or chart_meta["appVersion"]
    if not container["image"].endswith(f":{want_tag}"):
        failures.append(f"exporter image {container['image']}: expected tag {want_tag} "
                        f"(global.imageTag {values.get('global', {}).get('imageTag')!r} must not retag it)")
    pod_name = "kubecost-allocation-exporter-7d9f8b6c5-x2x4q"
    env = resolve_env(container, pod_name)
    tenant = env["TENANT_ID"]
    try:
        check_service_url(env["KUBECOST_URL"], docs)
    except Failed as e:
        failures.append(str(e))

    ports = {k: free_port() for k in ("kubecost", "exporter", "api", "lease", "receiver", "prometheus")}
    u = urllib.parse.urlparse(env["KUBECOST_URL"])
    env["KUBECOST_URL"] = urllib.parse.urlunparse((u.scheme, f"127.0.0.1:{ports['kubecost']}", u.path, "", u.query, ""))
    work = os.path.join(tmp, label.replace(" ", "-"))
    os.makedirs(work)
    exporter_args = [binary, *container.get("args", []), "--web.listen-address", f"127.0.0.1:{ports['exporter']}"]
    election = env.get("LEADER_ELECTION") == "true"
    if election:
        kubeconfig = os.path.join(work, "kubeconfig")
        with open(kubeconfig, "w") as f:
            f.write(f"apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- name: c\n"
                    f"  context: {{cluster: s, user: u, namespace: {NAMESPACE}}}\nclusters:\n- name: s\n"
                    f"  cluster: {{server: 'http://127.0.0.1:{ports['lease']}'}}\nusers:\n- name: u\n"
                    f"  user: {{tokenFile: token}}\n")
        with open(os.path.join(work, "token"), "w") as f:
            f.write("lease-token\n")
        exporter_args += ["--kubeconfig", kubeconfig]

    rw = (cfg.get("remote_write") or [{}])[0]
    auth = rw.get("basic_auth") or {}
    want_password = SECRET_PASSWORD if "password_file" in auth else auth.get("password", "")
    notes = []
    rewritten = rewrite_prometheus(json.loads(json.dumps(cfg)), ports["api"], ports["receiver"], work, notes)
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        yaml.safe_dump(rewritten, f, sort_keys=False)

    services = []
    for d in docs:
        if d["kind"] == "Service":
            s = json.loads(json.dumps(d))
            s["metadata"].update({"uid": f"svc-{s['metadata']['name']}", "resourceVersion": "3"})
            s["spec"].setdefault("clusterIP", "10.96.0.10")
            services.append(s)
    pod = pod_from_deployment(dep, pod_name, "127.0.0.1", {"metrics": ports["exporter"]})
    objects = {"services": services, "pods": [pod], "nodes": [],
               "endpoints": [endpoints_for(svc, pod, "127.0.0.1", {"metrics": ports["exporter"]})]}

    procs, servers = [], []
    prom_bin = args.prometheus
    try:
        servers.append(StandIn(args.fixtures, ports["kubecost"]).start())
        if election:
            servers.append(KubeApiStandIn(ports["lease"], "lease-token").start())
        api = KubeDiscoveryStandIn(ports["api"], TOKEN, objects).start()
        servers.append(api)
        path = urllib.parse.urlparse(rw.get("url", "/")).path or "/"
        receiver = RemoteWriteReceiver(ports["receiver"], path, auth.get("username", ""), want_password, tenant).start()
        servers.append(receiver)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBECOST", "TENANT", "KUBERNETES_"))}
        full_env.update(env)
        exporter = Proc("exporter", exporter_args, work, env=full_env)
        procs.append(exporter)
        prom = Proc("prometheus", [prom_bin, f"--config.file={work}/prometheus.yml",
                                   f"--storage.tsdb.path={work}/tsdb",
                                   f"--web.listen-address=127.0.0.1:{ports['prometheus']}"], work)
        procs.append(prom)
        base = f"http://127.0.0.1:{ports['prometheus']}"
        if not wait_for(lambda: http_get(base + "/-/ready", timeout=1)[0] == 200, 20):
            raise Failed("Prometheus did not load the rendered config:\n" + prom.tail())

        def arrived():
            return [s for s in receiver.with_name(SERIES) if s.get("tenant_id") == tenant]
        got = wait_for(arrived, 30)
        if not got:
            status, _, body = http_get(base + "/api/v1/targets", timeout=5)
            active = json.loads(body)["data"]["activeTargets"] if status == 200 else []
            seen = sorted({t["labels"].get("job", "") for t in active})
            status, _, body = http_get(base + "/api/v1/targets?state=dropped", timeout=5)
            dropped = json.loads(body)["data"] if status == 200 else {}
            ours = [t["discoveredLabels"] for t in dropped.get("droppedTargets", [])
                    if t["discoveredLabels"].get("job") == "kubecost-allocation-exporter"]
            seen.append(f"dropped for our job: {len(ours)} {ours[:1]}")
            names = sorted(receiver.series)
            failures.append(
                f"{SERIES} with tenant_id={tenant} never reached remote_write in 30 s "
                f"(series names received: {len(names)}, e.g. {names[:6]}; Prometheus active targets' jobs: {seen}; "
                f"refused requests: {receiver.refused}; discovery requests: {len(api.requests)}, "
                f"unauthorised {api.unauthorised})\n      Prometheus log tail:\n{prom.tail(1200)}"
                f"\n      exporter log tail:\n{exporter.tail(600)}")
        else:
            print(f"  [{label}] {SERIES} arrived: {len(got)} series, e.g. {got[0]}")
        status, _, body = http_get(base + "/api/v1/status/config", timeout=5)
        loaded = yaml.safe_load(json.loads(body)["data"]["yaml"])
        loaded_jobs = [j["job_name"] for j in loaded.get("scrape_configs", [])]
        if "kubecost" not in loaded_jobs:
            failures.append(f"Prometheus loaded no `kubecost` job (jobs: {loaded_jobs})")
        for code, why in (("401", "basic auth"), ("400", "Cloud-Account-Id"), ("404", "URL path")):
            if receiver.refused[code]:
                failures.append(f"the receiver refused {receiver.refused[code]} remote_write requests ({code}: {why})")
        sent = {h.get("Cloud-Account-Id") for h in receiver.headers_seen}
        if receiver.headers_seen and sent != {tenant}:
            failures.append(f"remote_write requests carried Cloud-Account-Id {sorted(map(str, sent))}, not only {tenant}")
        else:
            print(f"  [{label}] {len(receiver.headers_seen)} remote_write requests, each with basic auth "
                  f"{auth.get('username')}:*** and Cloud-Account-Id {tenant}")
        # The guide's verification checklist, automated: doctor with the exporter's own env
        # against this Prometheus passes (no FAIL line, exit 0); with another tenant it fails on
        # the remote_write's Cloud-Account-Id and says which.
        if got:
            def doctor(**over):
                p = subprocess.run([binary, "doctor", "--prometheus.url", base], env=dict(full_env, **over),
                                   capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
                return p.returncode, p.stdout.splitlines(), p.stdout + p.stderr
            rc, lines, out = doctor()
            fails = [line for line in lines if line.startswith("FAIL")]
            if rc != 0 or fails or not any(line.startswith("ok   remote_write tenant: ") for line in lines):
                failures.append(f"doctor --prometheus.url did not pass (exit {rc}):\n{out}")
            else:
                print(f"  [{label}] doctor: exit 0; " + "; ".join(line[:60] for line in lines[2:]))
            rc, lines, out = doctor(TENANT_ID="someone-else")
            wrong = [line for line in lines if line.startswith("FAIL remote_write tenant: ")]
            if rc != 1 or not wrong or f'but TENANT_ID is "someone-else"' not in wrong[0]:
                failures.append(f"doctor with a mismatched tenant did not fail on it (exit {rc}):\n{out}")
            else:
                print(f"  [{label}] doctor, TENANT_ID=someone-else: exit 1, {wrong[0]}")
        for n in notes:
            print(f"  [{label}] note: {n}")
    finally:
        for p in reversed(procs):
            p.stop()
        for s in servers:
            s.stop()
    if failures:
        raise Failed("\n    ".join(failures))


def run_aws(label, values_file, args, chart):
    values = yaml.safe_load(open(values_file))
    docs = helm_template(args.helm, chart, [values_file])
    kinds = sorted(d["kind"] for d in docs)
    check(kinds == ["CronJob", "ServiceAccount"], f"AWS values rendered {kinds}, expected the CronJob and its ServiceAccount")
    check(find(docs, "ConfigMap") is None, "AWS values installed Kubecost's Prometheus")
    cj = find(docs, "CronJob", values["cronJob"]["name"])
    image = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"]
    check(image == values["image"], f"CronJob image {image} != the values file's {values['image']}")
    print(f"  [{label}] renders the s3-export CronJob and its ServiceAccount only (no Kubecost, no Prometheus)")


def receiver_can_refuse():
    """The receiver's checks can fail: a wrong password gets 401, another tenant's header 400."""
    port = free_port()
    r = RemoteWriteReceiver(port, "/w", "kubecost", "right", "tenant-a").start()
    try:
        for user_pass, account, want in ((b"kubecost:wrong", "tenant-a", 401), (b"kubecost:right", "tenant-b", 400)):
            req = urllib.request.Request(f"http://127.0.0.1:{port}/w", data=b"", method="POST", headers={
                "Authorization": "Basic " + base64.b64encode(user_pass).decode(), "Cloud-Account-Id": account,
                "Content-Encoding": "snappy"})
            try:
                urllib.request.urlopen(req, timeout=5)
                code = 204
            except urllib.error.HTTPError as e:
                code = e.code
            check(code == want, f"receiver self-check: {user_pass.decode().split(':')[1]} / {account} got {code}, want {want}")
    finally:
        r.stop()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", default=os.path.join(root, "tests/fixtures/kubecost"))
    ap.add_argument("--helm", default=os.environ.get("HELM") or os.path.join(
        os.environ.get("KCI_TOOLS_DIR") or os.path.expanduser("~/.cache/kubecost-integration"),
        "helm-v3.21.4", "helm"))
    tools = os.environ.get("KCI_TOOLS_DIR") or os.path.expanduser("~/.cache/kubecost-integration")
    ap.add_argument("--prometheus", default=os.environ.get("KCI_PROMETHEUS") or os.path.join(
        tools, "prometheus-v0.316.0", "prometheus"))
    ap.add_argument("--chart", default=os.path.join(root, "charts/kubecost-integration"))
    ap.add_argument("--standin", default=os.path.join(root, "tests/chart/cost-analyzer-standin"))
    ap.add_argument("--only", help="run only the values file with this label")
    args = ap.parse_args()
    for tool in (args.helm, args.prometheus, args.binary):
        if not shutil.which(tool):
            print(f"FAIL: {tool} is not installed (bash .ci/setup --with-test-tools)")
            return 1
    binary = os.path.abspath(args.binary)
    tmp = tempfile.mkdtemp(prefix="kci-install-")
    results = []
    try:
        receiver_can_refuse()
        chart = vendored_chart(args.chart, args.standin, tmp)
        kubecost_jobs = kubecost_default_jobs(args.helm, args.standin)
        for label, rel in CLOUDTUNER_FILES + (AWS_FILE,):
            if args.only and args.only != label:
                continue
            t0 = time.time()
            print(f"== {label}: {rel}")
            try:
                if (label, rel) == AWS_FILE:
                    run_aws(label, os.path.join(args.chart, rel), args, chart)
                else:
                    run_cloudtuner(label, os.path.join(args.chart, rel), args, chart, kubecost_jobs, tmp, binary)
                results.append((label, time.time() - t0, None))
            except Failed as e:
                results.append((label, time.time() - t0, str(e)))
            except Exception:  # noqa: BLE001 - report and go on with the next file
                results.append((label, time.time() - t0, traceback.format_exc()))
            print(f"   {label}: {'ok' if results[-1][2] is None else 'FAILED'} in {results[-1][1]:.1f} s")
    finally:
        if os.environ.get("KCI_KEEP_TMP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    failed = [r for r in results if r[2]]
    for label, _, err in failed:
        print(f"FAIL {label}:\n    {err}")
    print(f"install: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
