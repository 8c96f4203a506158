#!/usr/bin/env python3
"""The whole chain on loopback, with real parts:

stand-in Kubecost -> allocation-exporter (TLS + basic auth) -> Debian's prometheus (scrapes over
TLS, remote_writes) -> nginx (the SaaS door: basic auth + Cloud-Account-Id) -> victoria-metrics.

Proves: values in the TSDB equal the stand-in's numbers (namespace and top-N pods) with
tenant_id/cluster intact; the guide's write_relabel_configs keep only the listed families; a
wrong password or a missing Cloud-Account-Id is a remote_write error and nothing of it lands;
the WAL carries the series over a receiver outage with no gap; a namespace that leaves Kubecost
goes stale in Prometheus with no ghost value; wrong scrape credentials give a 401;
`allocation-exporter doctor --prometheus.url` against this Prometheus says the target is up, our
series are ingested and the cloudtuner queue is healthy (exit 0), and fails (exit 1) on the
failing queues, a job Prometheus does not scrape, another tenant's id and Kubecost down.

Debian's prometheus 2.42.0+ds does not send remote_write `headers` (prometheus/prometheus#13030;
upstream builds do). So the queues that should carry Cloud-Account-Id go through a second nginx
server that adds it, as the upstream build would; the `noheader` queue goes straight to the door
and proves the door refuses requests without it.
"""
import argparse
import base64
import json
import re
import ssl
import urllib.error
import urllib.request
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import close, free_port, http_get  # noqa: E402
from kubecost_standin import WINDOW_HOURS, StandIn, build_allocations  # noqa: E402

TENANT = "aaaaaaaa-1111-1111-1111-aaaaaaaaaaaa"
CLUSTER = "pipeline"
KEEP_REGEX = "(kubecost_.*|cloudtuner_kubecost_.*|container_.*|kube_.*|node_.*|pod_pvc_.*|pv_.*|up)"
SCRAPE_PASS = "scrape-pass"  # matches tests/fixtures/web_config/basic_auth.good.yaml
SAAS_PASS = "saas-password-123"


class Proc:
    def __init__(self, name, argv, log_dir, **kw):
        self.name = name
        self.log_path = os.path.join(log_dir, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, **kw)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def wait(predicate, what, timeout=60, step=0.5):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError as e:
            last = e
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what} (last: {last})")


def query(base, promql, path="/api/v1/query"):
    url = f"{base}{path}?" + urllib.parse.urlencode({"query": promql})
    status, _, body = http_get(url)
    assert status == 200, (status, body[:300])
    return json.loads(body)["data"]["result"]


def vm_export(base, match, start, end):
    url = f"{base}/api/v1/export?" + urllib.parse.urlencode(
        {"match[]": match, "start": str(start), "end": str(end)})
    status, _, body = http_get(url, timeout=10)
    assert status == 200, (status, body[:300])
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]


def write_configs(tmp, ports, tls_dir, htpasswd):
    with open(os.path.join(tmp, "scrape_pass"), "w") as f:
        f.write(SCRAPE_PASS)
    with open(os.path.join(tmp, "saas_pass"), "w") as f:
        f.write(SAAS_PASS)
    with open(os.path.join(tmp, "wrong_pass"), "w") as f:
        f.write("not-the-password")
    web = os.path.join(tmp, "web.yaml")
    bcrypt = subprocess.run([htpasswd, "-nbBC", "10", "prometheus", SCRAPE_PASS], check=True,
                            capture_output=True, text=True).stdout.strip().split(":", 1)[1]
    with open(web, "w") as f:
        f.write(f"tls_server_config:\n  cert_file: {tls_dir}/server.crt\n"
                f"  key_file: {tls_dir}/server.key\nbasic_auth_users:\n  prometheus: {bcrypt}\n")
    write_url = f"http://127.0.0.1:{ports['shim']}/storage/api/v2/write"
    door_url = f"http://127.0.0.1:{ports['nginx']}/storage/api/v2/write"
    queue = ("    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}\n")
    prom = f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kubecost-allocation-exporter
    honor_labels: true
    scheme: https
    tls_config:
      ca_file: {tls_dir}/ca.crt
    basic_auth:
      username: prometheus
      password_file: {tmp}/scrape_pass
    static_configs:
      - targets: ["127.0.0.1:{ports['exporter']}"]
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{ports['prometheus']}"]
remote_write:
  - url: {write_url}
    name: cloudtuner
    headers:
      Cloud-Account-Id: "{TENANT}"
    basic_auth:
      username: kubecost
      password_file: {tmp}/saas_pass
    write_relabel_configs:
      - source_labels: [__name__]
        regex: '{KEEP_REGEX}'
        action: keep
{queue}  - url: {write_url}
    name: wrongpass
    headers:
      Cloud-Account-Id: "{TENANT}"
    basic_auth:
      username: kubecost
      password_file: {tmp}/wrong_pass
    write_relabel_configs:
      - {{target_label: pipeline, replacement: wrongpass}}
{queue}  - url: {door_url}
    name: noheader
    basic_auth:
      username: kubecost
      password_file: {tmp}/saas_pass
    write_relabel_configs:
      - {{target_label: pipeline, replacement: noheader}}
{queue}"""
    with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
        f.write(prom)
    subprocess.run([htpasswd, "-cbB", os.path.join(tmp, "saas.htpasswd"), "kubecost", SAAS_PASS],
                   check=True, capture_output=True)
    nginx = f"""daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log {tmp}/nginx-access.log;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  server {{
    listen 127.0.0.1:{ports['nginx']};
    location = /storage/api/v2/write {{
      auth_basic "cloudtuner";
      auth_basic_user_file {tmp}/saas.htpasswd;
      if ($http_cloud_account_id = "") {{ return 400 "Cloud-Account-Id header required\\n"; }}
      proxy_pass http://127.0.0.1:{ports['vm']}/api/v1/write;
    }}
  }}
  server {{
    listen 127.0.0.1:{ports['shim']};
    location / {{
      proxy_set_header Cloud-Account-Id "{TENANT}";
      proxy_pass http://127.0.0.1:{ports['nginx']};
    }}
  }}
}}
"""
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(nginx)
    return web


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures/kubecost")
    ap.add_argument("--tls", required=True)
    args = ap.parse_args()
    for tool in ("prometheus", "victoria-metrics", "htpasswd"):
        assert shutil.which(tool), f"{tool} is not installed (bash .ci/setup installs it)"
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"

    tmp = tempfile.mkdtemp(prefix="kci-pipeline-")
    os.chmod(tmp, 0o755)  # nginx workers run as another user
    ports = {k: free_port() for k in ("kubecost", "exporter", "prometheus", "nginx", "shim", "vm")}
    args.tls = os.path.abspath(args.tls)
    web = write_configs(tmp, ports, args.tls, shutil.which("htpasswd"))
    procs, standin, checks = [], None, 0
    prom = f"http://127.0.0.1:{ports['prometheus']}"
    vm = f"http://127.0.0.1:{ports['vm']}"
    try:
        standin = StandIn(args.fixtures, ports["kubecost"]).start()
        vm_proc = Proc("victoria-metrics", ["victoria-metrics", f"-httpListenAddr=127.0.0.1:{ports['vm']}",
                       f"-storageDataPath={tmp}/vm", "-retentionPeriod=1", "-search.latencyOffset=0s",
                       "-search.disableCache"], tmp)
        procs.append(vm_proc)
        nginx = Proc("nginx", [nginx_bin, "-p", tmp, "-c", f"{tmp}/nginx.conf"], tmp)
        procs.append(nginx)
        env = {"KUBECOST_URL": f"http://127.0.0.1:{ports['kubecost']}", "SCRAPE_INTERVAL": "10",
               "SCRAPE_JITTER_MAX": "0", "ENABLE_POD_METRICS": "true", "TOP_N_PODS": "5",
               "TENANT_ID": TENANT, "CLUSTER_NAME": CLUSTER, "WEB_CONFIG_FILE": web}
        exporter_proc = Proc("exporter", [args.binary, "--web.listen-address",
                             f"127.0.0.1:{ports['exporter']}"], tmp, env=dict(os.environ, **env))
        procs.append(exporter_proc)
        prom_proc = Proc("prometheus", ["prometheus", f"--config.file={tmp}/prometheus.yml",
                         f"--storage.tsdb.path={tmp}/prom", f"--web.listen-address=127.0.0.1:{ports['prometheus']}"],
                         tmp)
        procs.append(prom_proc)
        wait(lambda: http_get(vm + "/health")[0] == 200, "victoria-metrics up")
        wait(lambda: http_get(prom + "/-/ready")[0] == 200, "prometheus ready")

        # 1. Scrape over TLS with basic auth works; a wrong password gets 401.
        ctx = ssl.create_default_context(cafile=f"{args.tls}/ca.crt")

        def exporter_up():
            urllib.request.urlopen(f"https://127.0.0.1:{ports['exporter']}/healthz", context=ctx,
                                   timeout=2)
            return True
        wait(lambda: exporter_up(), "exporter on TLS", timeout=15, step=0.1)
        req = urllib.request.Request(f"https://127.0.0.1:{ports['exporter']}/metrics")
        req.add_header("Authorization", "Basic " + base64.b64encode(b"prometheus:wrong").decode())
        try:
            urllib.request.urlopen(req, context=ctx, timeout=5)
            raise AssertionError("wrong scrape password was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 401, e.code
        wait(lambda: query(prom, 'up{job="kubecost-allocation-exporter"} == 1'), "TLS scrape up")
        checks += 1

        # 2. Values in the TSDB equal the stand-in's numbers.
        allocs = standin.allocations
        ns_expected = {}
        for name, a in allocs.items():
            if name.endswith("__idle__"):
                continue
            n = a["properties"]["namespace"]
            ns_expected[n] = ns_expected.get(n, 0.0) + a["totalCost"] / WINDOW_HOURS
        def ns_values():
            r = query(vm, "cloudtuner_kubecost_namespace_total_cost")
            return {s["metric"]["namespace"]: (float(s["value"][1]), s["metric"]) for s in r} \
                if len(r) == len(ns_expected) else None
        got = wait(ns_values, "namespace series in victoria-metrics", timeout=60)
        for n, want in ns_expected.items():
            v, labels = got[n]
            assert close(v, want), (n, v, want)
            assert labels["tenant_id"] == TENANT and labels["cluster"] == CLUSTER, labels
        pods = sorted(((a["totalCost"], a["properties"]["pod"]) for k, a in allocs.items()
                       if not k.endswith("__idle__")), reverse=True)[:5]
        r = query(vm, 'cloudtuner_kubecost_pod_total_cost{pod!="__other__"}')
        got_pods = {s["metric"]["pod"]: float(s["value"][1]) for s in r}
        assert set(got_pods) == {p for _, p in pods}, (got_pods, pods)
        for total, p in pods:
            assert close(got_pods[p], total / WINDOW_HOURS), (p, got_pods[p])
        checks += 1

        # 3. write_relabel_configs: only the listed families reached the SaaS.
        names = {s["metric"]["__name__"] for s in query(vm, 'count by (__name__) ({__name__=~".+"})')}
        assert names and all(re.fullmatch(KEEP_REGEX, n) for n in names), names
        assert "up" in names and not any(n.startswith("prometheus_") for n in names), names
        checks += 1

        # 4. A wrong password and a missing Cloud-Account-Id are remote_write errors; none lands.
        def failed(queue):
            r = query(prom, f'prometheus_remote_storage_samples_failed_total{{remote_name="{queue}"}}')
            return r and float(r[0]["value"][1]) > 0
        wait(lambda: failed("wrongpass"), "wrong-password samples failing")
        wait(lambda: failed("noheader"), "no-header samples failing")
        assert not query(vm, 'count({pipeline=~".+"})'), "rejected samples reached the TSDB"
        access = open(f"{tmp}/nginx-access.log").read()
        assert '" 401 ' in access and '" 400 ' in access, access[-500:]
        checks += 1

        # 4b. doctor against this Prometheus: healthy with our job and queue; FAIL lines otherwise.
        def doctor(*extra, **env_over):
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KUBECOST_RETRIES": "0",
                   "KUBECOST_URL": f"http://127.0.0.1:{ports['kubecost']}", "TENANT_ID": TENANT}
            env.update(env_over)
            p = subprocess.run([args.binary, "doctor", "--prometheus.url", prom, *extra], env=env,
                               capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
            return p.returncode, p.stdout.splitlines(), p.stdout + p.stderr
        job = "kubecost-allocation-exporter"
        target = f'1 target up: job="{job}" instance="127.0.0.1:{ports["exporter"]}"'
        rc, lines, out = doctor("--prometheus.job", job, "--prometheus.remote-write-name", "cloudtuner")
        assert rc == 0 and len(lines) == 6, out
        assert lines[0].startswith("WARN kubecost: kubecost flavour, 6 namespaces, idle present"), out
        assert lines[1] == f'ok   tenant id: "{TENANT}"', out
        assert lines[2] == "ok   prometheus target: " + target, out
        assert re.fullmatch(r'ok   prometheus series: (\d+) cloudtuner_kubecost_\* series, (\d+) with '
                            f'tenant_id="{TENANT}"', lines[3]), out
        assert re.fullmatch(r"ok   prometheus remote_write: queue cloudtuner: 0 failing, \d+ pending",
                            lines[4]), out
        # The guide's check, from Prometheus' loaded config: the queue's Cloud-Account-Id.
        assert lines[5] == f'ok   remote_write tenant: "cloudtuner" sends Cloud-Account-Id "{TENANT}"', out
        # Without a job it finds the target by cloudtuner_kubecost_exporter_info; every queue is
        # checked, and the wrongpass and noheader queues are failing.
        rc, lines, out = doctor()
        assert rc == 1 and lines[2] == "ok   prometheus target: " + target, out
        assert lines[5] == 'FAIL remote_write tenant: "noheader" sends no Cloud-Account-Id header', out
        assert lines[4].startswith("FAIL prometheus remote_write: queue noheader: ") and \
            "queue wrongpass: " in lines[4] and "queue cloudtuner: 0 failing" in lines[4], out
        rc, lines, out = doctor("--prometheus.job", "not-scraped", "--prometheus.remote-write-name",
                                "cloudtuner")
        assert rc == 1 and lines[2] == ('FAIL prometheus target: no target with job="not-scraped": '
                                        "Prometheus is not scraping the exporter under that job"), out
        rc, lines, out = doctor("--prometheus.remote-write-name", "cloudtuner", TENANT_ID="other")
        assert rc == 1 and lines[3].startswith("FAIL prometheus series: ") and \
            'none with tenant_id="other"' in lines[3], out
        assert lines[5] == ('FAIL remote_write tenant: "cloudtuner" sends Cloud-Account-Id '
                            f'"{TENANT}", but TENANT_ID is "other"'), out
        rc, lines, out = doctor("--prometheus.remote-write-name", "cloudtuner",
                                KUBECOST_URL=f"http://127.0.0.1:{free_port()}")
        assert rc == 1 and lines[0].startswith("FAIL kubecost: ") and "reason=connect" in lines[0] \
            and lines[2].startswith("ok   prometheus target"), out
        rc, lines, out = doctor("--prometheus.remote-write-name", "cloudtuner", TENANT_ID="")
        assert rc == 1 and lines[1].startswith("FAIL tenant id: not set"), out
        checks += 1

        # 5. Receiver down for a while: the WAL brings the series over, with no gap.
        outage_start = time.time()
        nginx.stop()
        time.sleep(15)
        nginx = Proc("nginx2", [nginx_bin, "-p", tmp, "-c", f"{tmp}/nginx.conf"], tmp)
        procs.append(nginx)
        outage_end = time.time()
        def caught_up():
            rows = vm_export(vm, 'cloudtuner_kubecost_cluster_total_cost', int(outage_start - 5),
                             int(outage_end + 5))
            if not rows:
                return None
            ts = sorted(t / 1000 for t in rows[0]["timestamps"])
            return ts if ts and ts[-1] >= outage_end + 3 else None
        ts = wait(caught_up, "samples after the outage", timeout=90)
        assert outage_end - outage_start >= 15
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        assert ts[0] <= outage_start and max(gaps) < 5, (max(gaps), len(ts))
        checks += 1

        # 6. A namespace leaves Kubecost: stale in Prometheus, no ghost value.
        standin.allocations = build_allocations(args.fixtures, drop_namespace="search")
        sel = 'cloudtuner_kubecost_namespace_total_cost{namespace="search"}'
        wait(lambda: not query(prom, sel), "search namespace stale in Prometheus", timeout=40)
        assert query(prom, 'cloudtuner_kubecost_namespace_total_cost{namespace="opencost"}')
        time.sleep(3)
        assert not query(prom, sel), "ghost value came back"
        checks += 1

        # 7. Nothing secret in any log.
        for p in procs:
            text = p.text()
            assert SAAS_PASS not in text and SCRAPE_PASS not in text, p.name
        checks += 1
    except Exception:
        for p in procs:
            sys.stderr.write(f"--- {p.name} log (tail)\n{p.text()[-2000:]}\n")
        raise
    finally:
        for p in reversed(procs):
            p.stop()
        if standin:
            standin.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"pipeline e2e: {checks} passed, 0 failed")


if __name__ == "__main__":
    main()
