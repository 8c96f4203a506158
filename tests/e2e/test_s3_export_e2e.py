#!/usr/bin/env python3
"""End to end: `allocation-exporter s3-export` against a stand-in Kubecost (allocations built
from the container-level fixture in tests/fixtures/kubecost, node assets) and a loopback S3/STS endpoint that
checks every signature with botocore. Every uploaded file is read back by DuckDB and hyparquet.

Proves: back-fill over several days (a day without data is skipped, not written empty);
idempotence (a second run uploads nothing); role chaining (IRSA web identity -> AssumeRole ->
S3 accepts only the parent's keys); forged and expired credentials fail clearly (exit 1, one
line with the AWS error code); Kubecost failing mid-run (exit 1, no partial object, the next
run fills the gap); multipart upload; bad settings exit 2; no secret in the logs.
"""
import argparse
import copy
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import http.server
import urllib.parse

import botocore.awsrequest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_standin import AwsStandIn, sign_at  # noqa: E402
from harness import LoopbackServer, PushgatewayRecorder, free_port, http_get  # noqa: E402

BUCKET = "kci-e2e-data"
ACCOUNT, REGION, CLUSTER = "111122223333", "us-east-1", "eks-e2e"
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.web-identity-token-for-tests.sig"
COST_KEYS = ["cpuCost", "cpuCostAdjustment", "gpuCost", "ramCost", "ramCostAdjustment", "pvCost",
             "networkCost", "loadBalancerCost", "sharedCost", "externalCost", "totalCost"]
LABEL_VALUE = 'café "quoted" \\ back'


def day_start(d):
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(days=d)


# Kubecost's kubecostModel.etlHourlyStoreDurationHours default (kubecost/cost-analyzer-helm-chart
# cost-analyzer/values.yaml).
ETL_HOURLY_HOURS = 49


def parse_day(stamp):
    return (datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") - datetime.datetime(1970, 1, 1)).days


def parse_seconds(stamp):
    return int((datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") - datetime.datetime(1970, 1, 1)).total_seconds())


class KubecostS3StandIn(LoopbackServer):
    """Answers the queries s3-export makes as Kubecost does: days (aggregate=cluster, step=1d),
    a day's allocations and node assets.

    - `/model/allocation/compute` (the On-Demand API) answers `step=1h` in hourly sets, `1d` in
      one day set ("Querying on-demand (experimental)" on
      https://docs.kubecost.com/apis/monitoring-apis/api-allocation; OpenCost
      pkg/costmodel/costmodel.go steps by `step` from the window start).
    - `/model/allocation` (ETL) answers `step=1d` in day sets, and `step=1h` in hourly sets only
      for windows that began less than etlHourlyStoreDurationHours (49 h) ago: older windows
      come in whole-day sets (the same page: the standard endpoint serves precomputed sets
      only; the 49 h is the cost-analyzer chart's default, see ETL_HOURLY_HOURS above).
    - `filter=cluster:"<id>"` keeps that cluster's allocations (Kubecost v2 filter syntax,
      https://docs.kubecost.com/apis/filters-api); `clusters` lists the clusters it answers
      for (two: an aggregator); `ignore_filter` plays a Kubecost that ignores the parameter.
    - `assets_mode` "500" / "garbage" makes `/model/assets` fail; `compute_shape` "day" makes
      the On-Demand API answer a whole-day set for step=1h (a wrong shape)."""

    def __init__(self, fixtures, port, days_without_data, tls=None):
        with open(os.path.join(fixtures, "kubecost_allocation_container-level.json")) as f:
            self.template = next(iter(json.load(f)["data"][0].values()))
        with open(os.path.join(fixtures, "refused", "opencost_error_500.json"), "rb") as f:
            self.error_500 = f.read()
        self.days_without_data = set(days_without_data)
        self.fail_days = set()
        self.clusters = ["cluster-one"]
        self.ignore_filter = False
        self.assets_mode = "ok"
        self.compute_shape = "hourly"
        self.paths = []  # (path, step) of every allocation query
        self.served = {}  # day -> list of cluster-one's hourly allocations (for the expectations)
        self.served_other = {}  # day -> other clusters' hourly allocations
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
                start, end = q["window"][0].split(",")
                d0 = parse_day(start)
                if u.path == "/model/assets":
                    if standin.assets_mode == "500":
                        return self.send(500, standin.error_500)
                    if standin.assets_mode == "garbage":
                        return self.send(200, b"<html><title>502 Bad Gateway</title></html>")
                    return self.send(200, {"code": 200, "data": [standin.assets()]})
                if u.path not in ("/model/allocation", "/model/allocation/compute"):
                    return self.send(404, b"404 page not found\n")
                clusters = standin.clusters
                filt = q.get("filter", [""])[0]
                if filt and not standin.ignore_filter:
                    assert filt.startswith('cluster:"') and filt.endswith('"'), filt
                    clusters = [c for c in clusters if c == filt[len('cluster:"'):-1]]
                standin.paths.append((u.path, q.get("step", [""])[0]))
                if q.get("aggregate") == ["cluster"]:
                    d1 = parse_day(end)
                    sets = []
                    for d in range(d0, d1):
                        w = {"start": day_start(d).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "end": day_start(d + 1).strftime("%Y-%m-%dT%H:%M:%SZ")}
                        sets.append(None if d in standin.days_without_data or not clusters else
                                    {c: {"name": c, "properties": {"cluster": c}, "window": w, "totalCost": 12.5}
                                     for c in clusters})
                    return self.send(200, {"code": 200, "data": sets})
                if d0 in standin.fail_days:
                    return self.send(500, standin.error_500)
                assert q["accumulate"] == ["false"] and q["idle"] == ["true"], q
                # AGGREGATION=container sends no aggregate, as AWS's exporter: Kubecost's own
                # allocations, named cluster/node/namespace/pod/container (opencost
                # pkg/costmodel/allocation.go at 5f653330: alloc.Name = "%s/%s/%s/%s/%s").
                assert "aggregate" not in q, q
                step = q["step"][0]
                hourly = step == "1h"
                if u.path == "/model/allocation/compute":
                    assert q.get("resolution"), q
                    if standin.compute_shape == "day":
                        hourly = False
                elif hourly and parse_seconds(start) < time.time() - ETL_HOURLY_HOURS * 3600:
                    hourly = False  # the ETL keeps hourly sets for 49 h only
                return self.send(200, {"code": 200, "data": standin.day_sets(d0, clusters, hourly)})

        self.serve(port, H, tls)
        self.start()

    def assets(self):
        nodes = {}
        for i, (name, cap) in enumerate([("node-a", "ON_DEMAND"), ("node-b", "SPOT")]):
            nodes[f"AWS/{ACCOUNT}/x/Compute/cluster-one/Node/Kubernetes/i-{i}/{name}"] = {
                "type": "Node", "properties": {"cluster": "cluster-one", "name": name, "provider": "AWS"},
                "labels": {"label_node_kubernetes_io_instance_type": "m5.large" if i == 0 else "c6g.xlarge",
                           "eks_amazonaws_com_capacityType": cap, "topology_kubernetes_io_zone": f"us-east-1{'ab'[i]}",
                           "kubernetes_io_arch": "amd64" if i == 0 else "arm64", "kubernetes_io_os": "linux",
                           "eks_amazonaws_com_nodegroup": f"ng-{i}"}}
        nodes["AWS/x/Storage/cluster-one/Disk/pv-1"] = {"type": "Disk", "properties": {"cluster": "cluster-one", "name": "pv-1"}}
        return nodes

    def hourly_allocations(self, d, cluster):
        store = self.served if cluster == "cluster-one" else self.served_other
        key = d if cluster == "cluster-one" else (d, cluster)
        if key in store:
            return store[key]
        allocs = []
        for h in range(24):
            s, e = day_start(d) + datetime.timedelta(hours=h), day_start(d) + datetime.timedelta(hours=h + 1)
            w = {"start": s.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": e.strftime("%Y-%m-%dT%H:%M:%SZ")}
            for c in range(6):
                a = copy.deepcopy(self.template)
                node = "node-a" if c % 2 == 0 else "node-b"
                ns = ["kubecost", "données", "web"][c % 3]
                pod = f"{ns}-pod-{c}"
                # "batch-idle-4" is not idle, though the unescaped LIKE '%__idle__' takes it for idle.
                container = "batch-idle-4" if c == 4 else f"app-{c}"
                a["name"] = f"{cluster}/{node}/{ns}/{pod}/{container}"
                a["properties"].update({"cluster": cluster, "node": node, "namespace": ns, "pod": pod,
                                        "container": container, "controller": f"{ns}-deploy",
                                        "controllerKind": "deployment", "providerID": f"i-{c % 2}"})
                a["properties"]["labels"] = {"app_kubernetes_io_name": LABEL_VALUE if c == 1 else f"app-{c}",
                                             "team": "🙂 team" if c == 2 else "platform",
                                             # The node's labels Kubecost copies onto its
                                             # allocations by default (cost-analyzer values.yaml
                                             # kubecostModel.allocation.nodeLabels.includeList).
                                             "node_kubernetes_io_instance_type": "m5.large" if node == "node-a" else "c6g.xlarge",
                                             "topology_kubernetes_io_region": REGION,
                                             "topology_kubernetes_io_zone": "us-east-1a" if node == "node-a" else "us-east-1b"}
                a["properties"]["annotations"] = {"owner": "équipe-ü"}
                a["window"] = w
                f = (h + 1) * (c + 1) * (1 + (d % 5)) / 7.0
                for k in COST_KEYS + ["cpuCores", "ramBytes", "minutes"]:
                    if isinstance(a.get(k), (int, float)):
                        a[k] = round(a[k] * f, 6)
                if c == 3:
                    a["cpuEfficiency"] = None
                    a["pvCost"] = None
                allocs.append(a)
            for node in ("node-a", "node-b"):
                allocs.append({"name": f"{cluster}/{node}/__idle__",
                               "properties": {"cluster": cluster, "node": node},
                               "window": w, "minutes": 60, "cpuCost": 0.01 * (h + 1), "ramCost": 0.002,
                               "totalCost": 0.01 * (h + 1) + 0.002, "cpuEfficiency": 0})
        store[key] = allocs
        return allocs

    def day_sets(self, d, clusters, hourly):
        allocs = [a for c in clusters for a in self.hourly_allocations(d, c)]
        if hourly:
            sets = [{} for _ in range(24)]
            for a in allocs:
                sets[int(a["window"]["start"][11:13])][a["name"]] = a
            return sets
        # One whole-day set: each allocation's hours summed under the day's window.
        w = {"start": day_start(d).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "end": day_start(d + 1).strftime("%Y-%m-%dT%H:%M:%SZ")}
        day = {}
        for a in allocs:
            if a["name"] not in day:
                day[a["name"]] = dict(copy.deepcopy(a), window=w)
                continue
            acc = day[a["name"]]
            for k, v in a.items():
                if isinstance(v, (int, float)) and isinstance(acc.get(k), (int, float)):
                    acc[k] = acc[k] + v
        return [day]


def day_key(d):
    return (f"account_id={ACCOUNT}/region={REGION}/year={day_start(d):%Y}/month={day_start(d):%m}/"
            f"{day_start(d):%Y-%m-%d}_{CLUSTER}.snappy.parquet")


def duck_rows(readers, tmp, body, sql):
    """The rows DuckDB reads from an uploaded object with `sql` ({file} is its path)."""
    path = os.path.join(tmp, "query.parquet")
    with open(path, "wb") as f:
        f.write(body)
    r = subprocess.run(["node", os.path.join(readers, "duckdb_query.mjs"), path, sql],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def signed_list(port, when, key, secret):
    """ListObjectsV2 on the stand-in S3, signed with botocore as of `when`."""
    url = f"http://127.0.0.1:{port}/clock-check?list-type=2"
    req = botocore.awsrequest.AWSRequest(method="GET", url=url, data=b"")
    sign_at(req, (key, secret, None), REGION, "s3", when.strftime("%Y%m%dT%H%M%SZ"))
    status, _, body = http_get(url, headers=dict(req.headers))
    return status, body


def run(binary, env, timeout=120):
    p = subprocess.run([binary, "s3-export"], env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stderr


def expectations(served):
    out = {}
    for d, allocs in served.items():
        key = f"account_id={ACCOUNT}/region={REGION}/year={day_start(d):%Y}/month={day_start(d):%m}/{day_start(d):%Y-%m-%d}_{CLUSTER}.snappy.parquet"
        # Column names as AWS's files spell them: Kubecost's own field names (main.py
        # define_dataframe_columns), which Glue and Athena read case-blind.
        sums = {k: sum(a[k] for a in allocs if a.get(k) is not None) for k in COST_KEYS}
        nulls = {"cpuEfficiency": sum(1 for a in allocs if a.get("cpuEfficiency") is None),
                 "pvCost": sum(1 for a in allocs if a.get("pvCost") is None)}
        namespaces = {}
        for a in allocs:
            ns = "__idle__" if a["name"].endswith("/__idle__") else a["properties"]["namespace"]
            namespaces[ns] = namespaces.get(ns, 0) + a["totalCost"]
        spot = sum(a["totalCost"] for a in allocs if a["properties"]["node"] == "node-b")  # SPOT (assets)
        out[key] = {"rows": len(allocs), "sums": sums, "nulls": nulls, "namespaces": namespaces, "spot": spot}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures/kubecost")
    ap.add_argument("--readers", required=True, help="directory of check_s3_parquet.mjs with node_modules")
    ap.add_argument("--tls", required=True, help="test TLS material (ca.crt, server.crt, server.key)")
    ap.add_argument("--athena", required=True, help="deploy/athena (the table, view and example query)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kci-s3e2e-")
    today = int(time.time()) // 86400
    no_data = today - 4
    kport, aport = free_port(), free_port()
    kube = KubecostS3StandIn(args.fixtures, kport, [no_data])
    aws = AwsStandIn(aport, REGION, web_token=WEB_TOKEN, require_parent=True).start()
    token = os.path.join(tmp, "web-identity-token")
    with open(token, "w") as f:
        f.write(WEB_TOKEN + "\n")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBECOST"))}
    env = dict(base, S3_BUCKET_NAME=BUCKET, CLUSTER_ID=f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
               AWS_ROLE_ARN=f"arn:aws:iam::{ACCOUNT}:role/kubecost-s3-exporter-child",
               AWS_WEB_IDENTITY_TOKEN_FILE=token,
               IRSA_PARENT_IAM_ROLE_ARN="arn:aws:iam::444455556666:role/kubecost-s3-exporter-parent",
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{aport}", AWS_REGION=REGION,
               KUBECOST_API_ENDPOINT=f"http://127.0.0.1:{kport}", BACKFILL_PERIOD_DAYS="6",
               KUBECOST_CLUSTER_ID="cluster-one",
               LABELS="app.kubernetes.io/name,team", ANNOTATIONS="owner", S3_EXPORT_WORK_DIR=tmp,
               KUBECOST_RETRIES="0", LOG_FORMAT="logfmt")
    checks, logs = 0, []
    try:
        # 0. The stand-in S3 checks a signature against the request's own X-Amz-Date (so 14
        #    minutes old or ahead is fine) and S3's 15-minute clock skew against the real clock.
        aws.keys["AKIACLOCKCHECK000000"] = ("clock/secret", None, "parent")
        now = datetime.datetime.now(datetime.timezone.utc)
        for minutes, want in ((-14, 200), (14, 200), (-16, 403), (16, 403)):
            status, body = signed_list(aport, now + datetime.timedelta(minutes=minutes),
                                       "AKIACLOCKCHECK000000", "clock/secret")
            assert status == want, (minutes, status, body)
            assert (b"<Code>RequestTimeTooSkewed</Code>" in body) == (want == 403), body
        del aws.keys["AKIACLOCKCHECK000000"]
        checks += 1

        # 1. Back-fill: AWS's window [midnight(now-6d+1d), midnight(now-2d)) = today-5 .. today-3,
        #    one day without data; today-2 (ended < 48 h ago) is never asked for nor written.
        rc, err = run(args.binary, env)
        logs.append(err)
        assert rc == 0, err
        keys = sorted(k for (_, k) in aws.objects)
        want_days = [d for d in range(today - 5, today - 2) if d != no_data]
        assert keys == sorted(day_key(d) for d in want_days), (keys, err)
        assert f"from={day_start(today - 5):%Y-%m-%d} to={day_start(today - 3):%Y-%m-%d}" in err, err
        # Hourly: every day from the On-Demand API with step=1h (the ETL API's sets for these
        # days would be whole days); the days query from the ETL API with step=1d.
        assert ("/model/allocation", "1d") in kube.paths, kube.paths
        assert {p for p in kube.paths if p != ("/model/allocation", "1d")} == {("/model/allocation/compute", "1h")}, kube.paths
        assert f"{day_start(no_data):%Y-%m-%d}" in err and "no data" in err, err
        assert len(aws.ops("AssumeRoleWithWebIdentity")) == 1 and len(aws.ops("AssumeRole")) == 1
        assert "source=irsa+assume-role" in err, err
        checks += 1

        # 2. Idempotent: nothing missing, nothing uploaded.
        puts_before = len(aws.ops("PutObject"))
        rc, err = run(args.binary, env)
        logs.append(err)
        assert rc == 0 and len(aws.ops("PutObject")) == puts_before, err
        assert err.count("day already in S3") == len(want_days), err
        checks += 1

        # 3. Kubecost fails mid-run: exit 1, the other day uploaded, no partial object; next run fills it.
        gone = [day_key(d) for d in want_days[:2]]
        for k in gone:
            del aws.objects[(BUCKET, k)]
        kube.fail_days = {want_days[1]}
        rc, err = run(args.binary, env)
        logs.append(err)
        assert rc == 1, err
        assert (BUCKET, gone[0]) in aws.objects and (BUCKET, gone[1]) not in aws.objects
        assert "day export failed" in err and ("Kubecost answered code 500" in err or "HTTP 500" in err), err
        kube.fail_days = set()
        env_mp = dict(env, S3_MULTIPART_THRESHOLD_BYTES="0")  # and through multipart this time
        rc, err = run(args.binary, env_mp)
        logs.append(err)
        assert rc == 0 and (BUCKET, gone[1]) in aws.objects, err
        assert aws.ops("CompleteMultipartUpload"), aws.log[-5:]
        checks += 1

        # 3b. Kubecost over TLS with its CA from Secrets Manager; EKS Pod Identity as the first
        #     credentials; results pushed to a Pushgateway.
        tport, pport = free_port(), free_port()
        kube_tls = KubecostS3StandIn(args.fixtures, tport, [no_data], tls=args.tls)
        kube_tls.served = kube.served
        push = PushgatewayRecorder(pport)
        pushed = push.pushes
        aws.secrets["kubecost-ca"] = open(os.path.join(args.tls, "ca.crt")).read()
        aws.pod_identity_token = "pod-identity-token-value"
        pod_token = os.path.join(tmp, "pod-identity-token")
        with open(pod_token, "w") as f:
            f.write(aws.pod_identity_token)
        del aws.objects[(BUCKET, gone[0])]
        pod_env = {k: v for k, v in env.items() if k not in ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")}
        pod_env.update(AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{aport}/pod-identity/credentials",
                       AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=pod_token,
                       KUBECOST_API_ENDPOINT=f"https://127.0.0.1:{tport}",
                       PUSHGATEWAY_URL=f"http://127.0.0.1:{pport}")
        rc, err = run(args.binary, pod_env)  # no CA yet: TLS verification refuses the stand-in
        logs.append(err)
        assert rc == 1 and "TLS" in err, err
        # A CA secret Secrets Manager does not have: exit 1, and the run is still reported.
        pushed.clear()
        rc, err = run(args.binary, dict(pod_env, KUBECOST_CA_CERTIFICATE_SECRET_NAME="no-such-ca"))
        logs.append(err)
        assert rc == 1 and "cannot read the Kubecost CA" in err, err
        assert len(pushed) == 1, pushed
        path, text = pushed[-1]
        assert path == f"/metrics/job/kubecost_s3_exporter/cluster/{CLUSTER}", path
        assert "cloudtuner_kubecost_s3_export_days_written 0\n" in text, text
        assert "last_success_timestamp_seconds" not in text, text
        rc, err = run(args.binary, dict(pod_env, KUBECOST_CA_CERTIFICATE_SECRET_NAME="kubecost-ca"))
        logs.append(err)
        assert rc == 0 and (BUCKET, gone[0]) in aws.objects, err
        assert "source=pod-identity+assume-role" in err and aws.ops("GetSecretValue"), err
        path, text = pushed[-1]
        assert path == f"/metrics/job/kubecost_s3_exporter/cluster/{CLUSTER}", path
        assert "cloudtuner_kubecost_s3_export_last_success_timestamp_seconds" in text, text
        assert "cloudtuner_kubecost_s3_export_days_written 1\n" in text, text
        kube_tls.stop()
        push.stop()
        checks += 1

        # 4. Forged and expired credentials: exit 1, one clear line with the AWS code.
        forged = {k: v for k, v in env.items() if k not in ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "IRSA_PARENT_IAM_ROLE_ARN")}
        forged.update(AWS_ACCESS_KEY_ID="AKIAFORGEDFORGED0000", AWS_SECRET_ACCESS_KEY="forged/secret")
        rc, err = run(args.binary, forged)
        logs.append(err)
        assert rc == 1 and "InvalidAccessKeyId" in err, err
        aws.keys["AKIAEXPIREDKEY000000"] = ("expired/secret", None, "parent")
        aws.expired.add("AKIAEXPIREDKEY000000")
        forged.update(AWS_ACCESS_KEY_ID="AKIAEXPIREDKEY000000", AWS_SECRET_ACCESS_KEY="expired/secret")
        rc, err = run(args.binary, forged)
        logs.append(err)
        assert rc == 1 and "ExpiredToken" in err, err
        # A wrong web identity token fails at STS.
        with open(token, "w") as f:
            f.write("not-the-token")
        rc, err = run(args.binary, env)
        logs.append(err)
        assert rc == 1 and "InvalidIdentityToken" in err, err
        checks += 1

        # 5. Bad settings: exit 2 with one line naming the key.
        rc, err = run(args.binary, dict(env, CLUSTER_ID="my-cluster"))
        assert rc == 2 and err.strip().startswith("allocation-exporter: clusterId: invalid value \"my-cluster\""), err
        rc, err = run(args.binary, dict(env, BACKFILL_PERIOD_DAYS="2"))
        assert rc == 2 and "backfillPeriodDays" in err, err
        rc, err = run(args.binary, {k: v for k, v in env.items() if k != "S3_BUCKET_NAME"})
        assert rc == 2 and "S3_BUCKET_NAME is required" in err, err
        checks += 1

        # 6. Every object read back by DuckDB and hyparquet against the stand-in's numbers.
        out_dir = os.path.join(tmp, "objects")
        os.makedirs(out_dir)
        for (_, key), body in aws.objects.items():
            with open(os.path.join(out_dir, key.replace("/", "__")), "wb") as f:
                f.write(body)
        exp = {k.replace("/", "__"): v for k, v in expectations(kube.served).items() if (BUCKET, k) in aws.objects}
        assert len(exp) == len(aws.objects), (list(exp), list(aws.objects))
        with open(os.path.join(out_dir, "expectations.json"), "w") as f:
            json.dump({"files": exp, "label_value": LABEL_VALUE}, f, ensure_ascii=False)
        r = subprocess.run(["node", os.path.join(args.readers, "check_s3_parquet.mjs"), out_dir],
                           capture_output=True, text=True, env=dict(os.environ, TZ="America/Los_Angeles"))
        print(r.stdout.strip())
        assert r.returncode == 0, r.stdout + r.stderr
        # 7. AWS's Athena view, QuickSight dataset and our example query, in DuckDB over the
        #    objects laid out as in the bucket (Hive partitions).
        tree = os.path.join(tmp, "bucket")
        for (_, key), body in aws.objects.items():
            os.makedirs(os.path.dirname(os.path.join(tree, key)), exist_ok=True)
            with open(os.path.join(tree, key), "wb") as f:
                f.write(body)
        with open(os.path.join(tree, "expectations.json"), "w") as f:
            json.dump({"files": {k: v for k, v in expectations(kube.served).items() if (BUCKET, k) in aws.objects},
                       "account": ACCOUNT, "region": REGION}, f, ensure_ascii=False)
        r = subprocess.run(["node", os.path.join(args.readers, "aws_dashboard_sql.mjs"), tree,
                            os.path.join(tree, "expectations.json"), args.athena,
                            env["LABELS"], env["ANNOTATIONS"]],
                           capture_output=True, text=True, timeout=120)
        print(r.stdout.strip())
        assert r.returncode == 0, r.stdout + r.stderr
        checks += 1

        # 8. A wrong shape from the On-Demand API (a whole-day set for step=1h): the day fails,
        #    naming the set, and nothing is uploaded.
        with open(token, "w") as f:  # step 4 broke it
            f.write(WEB_TOKEN + "\n")
        saved = dict(aws.objects)
        aws.objects.clear()
        kube.compute_shape = "day"
        rc, err = run(args.binary, env)
        logs.append(err)
        d = want_days[0]
        assert rc == 1 and not aws.objects, err
        assert (f"set 0 spans {day_start(d):%Y-%m-%d}T00:00:00Z..{day_start(d + 1):%Y-%m-%d}T00:00:00Z, "
                f"want 1h sets inside {day_start(d):%Y-%m-%d}") in err, err
        kube.compute_shape = "hourly"
        checks += 1

        # 9. An aggregator answering for two clusters: the filter keeps this cluster's rows; a
        #    Kubecost that ignores it makes the day fail with nothing uploaded.
        kube.clusters = ["cluster-one", "cluster-two"]
        rc, err = run(args.binary, env)
        logs.append(err)
        assert rc == 0 and len(aws.objects) == len(want_days), err
        for key in aws.objects:
            assert duck_rows(args.readers, tmp, aws.objects[key],
                             'SELECT DISTINCT "properties.cluster" AS c FROM read_parquet({file})') == [{"c": "cluster-one"}]
        aws.objects.clear()
        kube.ignore_filter = True
        rc, err = run(args.binary, env)
        logs.append(err)
        assert rc == 1 and not aws.objects, err
        assert err.count("day export failed") == len(want_days) and "cluster-two" in err and "want only" in err, err
        kube.ignore_filter = False
        #    Without KUBECOST_CLUSTER_ID the ARN's name "eks-e2e" is asked for; an aggregator that
        #    knows only other clusters fails the run naming them, nothing uploaded, never exit 0.
        unpinned = {k: v for k, v in env.items() if k != "KUBECOST_CLUSTER_ID"}
        rc, err = run(args.binary, unpinned)
        logs.append(err)
        assert rc == 1 and not aws.objects, err
        assert ('Kubecost has no data for cluster \\"eks-e2e\\" (the CLUSTER_ID name), only for '
                '\\"cluster-one\\", \\"cluster-two\\"') in err, err
        #    A single-cluster Kubecost under its default id "cluster-one": that one is exported,
        #    as AWS's exporter (no filter) would.
        kube.clusters = ["cluster-one"]
        rc, err = run(args.binary, unpinned)
        logs.append(err)
        assert rc == 0 and len(aws.objects) == len(want_days), err
        assert "Kubecost knows one cluster, not by the CLUSTER_ID name: exporting it" in err, err
        for key in aws.objects:
            assert duck_rows(args.readers, tmp, aws.objects[key],
                             'SELECT DISTINCT "properties.cluster" AS c FROM read_parquet({file})') == [{"c": "cluster-one"}]
        aws.objects.clear()
        checks += 1

        # 10. The Assets API failing (HTTP 500, then an HTML page): every day is exported, one
        #     warning a day, counted in the pushed metrics; exit 0. The node columns come from the
        #     node labels on the allocations where Kubecost put them (instance type, not capacity),
        #     as AWS's exporter reads them; idle rows carry none.
        pport = free_port()
        push = PushgatewayRecorder(pport)
        pushed = push.bodies
        try:
            for mode in ("500", "garbage"):
                aws.objects.clear()
                kube.assets_mode = mode
                rc, err = run(args.binary, dict(env, PUSHGATEWAY_URL=f"http://127.0.0.1:{pport}"))
                logs.append(err)
                assert rc == 0 and len(aws.objects) == len(want_days), (mode, err)
                assert err.count("Assets API failed") == len(want_days), (mode, err)
                assert f"cloudtuner_kubecost_s3_export_assets_failures {len(want_days)}\n" in pushed[-1], pushed[-1]
                for key in aws.objects:
                    got = duck_rows(args.readers, tmp, aws.objects[key],
                                    'SELECT DISTINCT "properties.node_instance_type" AS t, '
                                    '"properties.node_capacity_type" AS c, "properties.node" AS n, '
                                    '"properties.container" <> \'\' AS pod FROM read_parquet({file}) ORDER BY n, pod')
                    assert got == [{"t": "", "c": "", "n": "node-a", "pod": False},
                                   {"t": "m5.large", "c": "", "n": "node-a", "pod": True},
                                   {"t": "", "c": "", "n": "node-b", "pod": False},
                                   {"t": "c6g.xlarge", "c": "", "n": "node-b", "pod": True}], (mode, got)
        finally:
            push.stop()
        kube.assets_mode = "ok"
        checks += 1

        # 11. GRANULARITY=daily: the ETL API with step=1d, one day set per object.
        aws.objects.clear()
        kube.paths.clear()
        rc, err = run(args.binary, dict(env, GRANULARITY="daily"))
        logs.append(err)
        assert rc == 0 and len(aws.objects) == len(want_days), err
        assert set(kube.paths) == {("/model/allocation", "1d")}, kube.paths
        for key in aws.objects:
            got = duck_rows(args.readers, tmp, aws.objects[key],
                            'SELECT count(DISTINCT "window.start")::BIGINT AS sets, count(*)::BIGINT AS n FROM read_parquet({file})')
            assert got == [{"sets": 1, "n": 8}], got
        aws.objects.clear()
        aws.objects.update(saved)
        checks += 1

        # 7. No secret in any log.
        secrets_seen = [WEB_TOKEN, "pod-identity-token-value"] + [v[0] for v in aws.keys.values()] + [v[1] for v in aws.keys.values() if v[1]]
        for text in logs:
            for s in secrets_seen:
                assert s not in text, "a secret reached the logs"
        checks += 1
    finally:
        kube.stop()
        aws.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"s3-export e2e: {checks} passed, 0 failed")


if __name__ == "__main__":
    main()
