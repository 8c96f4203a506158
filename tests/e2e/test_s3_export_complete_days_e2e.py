#!/usr/bin/env python3
"""End to end: s3-export with its defaults (GRANULARITY=hourly, BACKFILL_PERIOD_DAYS=15) against a
Kubecost installed 20 days ago whose bundled Prometheus keeps 97 hours (kubecost_sources_standin:
the ETL store and the On-Demand API as Kubecost serves them), into the botocore-verifying S3
stand-in. Every object is read back by DuckDB.

Proves: every day of AWS's window is exported (the back-fill reaches the ETL's retention, not
Prometheus'); each day's totalCost sums to the ETL's reconciled total, and each resource's cost plus
its adjustment to the ETL's reconciled figure (1e-9); days inside Prometheus' retention have 24
hourly sets with the raw costs the On-Demand API sent; the day straddling the retention edge and
older days are the ETL's daily rows, never a partial hourly day; idle rows in every day; the
container only the ETL has and the one only the On-Demand API has are treated as documented; one
warning names the daily days and the Pushgateway gets their count; a second run uploads nothing;
RECONCILE_HOURLY=false leaves the hourly rows as sent; AWS's "API response appears to be empty"
line for a day Kubecost lacks; AWS's Athena view and QuickSight dataset over the mixed files.
"""
import argparse
import collections
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_standin import AwsStandIn  # noqa: E402
from harness import PushgatewayRecorder, free_port  # noqa: E402
from kubecost_sources_standin import PARTS, KubecostSourcesStandIn, is_close  # noqa: E402

BUCKET = "kci-e2e-complete"
ACCOUNT, REGION, CLUSTER = "111122223333", "us-east-1", "eks-e2e"
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.complete-days-token.sig"


def day_name(d):
    return (datetime.datetime(1970, 1, 1) + datetime.timedelta(days=d)).strftime("%Y-%m-%d")


def day_key(d):
    name = day_name(d)
    return f"account_id={ACCOUNT}/region={REGION}/year={name[:4]}/month={name[5:7]}/{name}_{CLUSTER}.snappy.parquet"


def run(binary, env, timeout=300):
    p = subprocess.run([binary, "s3-export"], env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stderr


def duck(readers, sql):
    r = subprocess.run(["node", os.path.join(readers, "duckdb_query.mjs"), "", sql],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def lay_out(aws, tree):
    shutil.rmtree(tree, ignore_errors=True)
    for (_, key), body in aws.objects.items():
        os.makedirs(os.path.dirname(os.path.join(tree, key)), exist_ok=True)
        with open(os.path.join(tree, key), "wb") as f:
            f.write(body)


def per_day(readers, tree):
    """Per file: rows, distinct hourly sets, day rows, totals, idle rows, resource sums."""
    glob = os.path.join(tree, "**", "*.parquet").replace("'", "''")
    parts = ", ".join(f'sum(coalesce("{c}", 0) + coalesce("{a}", 0)) AS "{c}"' for c, a in PARTS)
    return {r["day"]: r for r in duck(readers, f"""
        SELECT substr(regexp_extract(filename, '[0-9-]{{10}}_'), 1, 10) AS day,
               count(*)::BIGINT AS rows,
               count(DISTINCT "window.start") FILTER (WHERE "window.end" - "window.start" = INTERVAL 1 HOUR)::BIGINT AS hours,
               count(*) FILTER (WHERE "window.end" - "window.start" = INTERVAL 1 DAY)::BIGINT AS day_rows,
               count(*) FILTER (WHERE "window.end" - "window.start" NOT IN (INTERVAL 1 HOUR, INTERVAL 1 DAY))::BIGINT AS odd_rows,
               count(*) FILTER (WHERE name LIKE '%/\\_\\_idle\\_\\_' ESCAPE '\\')::BIGINT AS idle_rows,
               sum("totalCost") AS total, {parts}
        FROM read_parquet('{glob}', filename = true) GROUP BY ALL ORDER BY day""")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--readers", required=True, help="directory of duckdb_query.mjs with node_modules")
    ap.add_argument("--athena", required=True, help="deploy/athena (the table, view and example query)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kci-complete-")
    now = time.time()
    today = int(now) // 86400
    kport, aport, pport = free_port(), free_port(), free_port()
    kube = KubecostSourcesStandIn(kport, now, installed_days_ago=20, retention_hours=97)
    aws = AwsStandIn(aport, REGION, web_token=WEB_TOKEN, require_parent=True).start()
    push = PushgatewayRecorder(pport)
    pushed = push.bodies
    token = os.path.join(tmp, "web-identity-token")
    with open(token, "w") as f:
        f.write(WEB_TOKEN + "\n")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBECOST"))}
    env = dict(base, S3_BUCKET_NAME=BUCKET, CLUSTER_ID=f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
               AWS_ROLE_ARN=f"arn:aws:iam::{ACCOUNT}:role/kubecost-s3-exporter-child",
               AWS_WEB_IDENTITY_TOKEN_FILE=token,
               IRSA_PARENT_IAM_ROLE_ARN="arn:aws:iam::444455556666:role/kubecost-s3-exporter-parent",
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{aport}", AWS_REGION=REGION,
               KUBECOST_API_ENDPOINT=f"http://127.0.0.1:{kport}", KUBECOST_CLUSTER_ID="cluster-one",
               S3_EXPORT_WORK_DIR=tmp, KUBECOST_RETRIES="0", LOG_FORMAT="logfmt",
               PUSHGATEWAY_URL=f"http://127.0.0.1:{pport}")
    window = list(range(today - 14, today - 2))  # AWS's window for 15 days: today-14 .. today-3
    checks = 0
    try:
        # 1. Defaults: every day of the window, hourly where the On-Demand API is whole.
        rc, err = run(args.binary, env)
        assert rc == 0, err
        assert sorted(k for (_, k) in aws.objects) == sorted(day_key(d) for d in window), (sorted(aws.objects), err)
        hourly_days = [d for d in window if kube.whole_hourly(d)]
        daily_days = [d for d in window if d not in hourly_days]
        # 97 h reach back into today-4 (or, in the first hour of a day, to today-5): one or two
        # whole days in the window, the straddling day and the 9 or 10 before it daily.
        assert 1 <= len(hourly_days) <= 2 and len(daily_days) == 12 - len(hourly_days), (hourly_days, daily_days)
        # Every allocation request asks for idle both ways (Kubecost's idle, OpenCost's includeIdle).
        assert all(inc == "true" for (_, _, inc) in kube.paths), kube.paths
        tree = os.path.join(tmp, "bucket")
        lay_out(aws, tree)
        got = per_day(args.readers, tree)
        n_containers = len(kube.containers)
        for d in window:
            g, etl = got[day_name(d)], kube.etl_day(d)
            want_total = sum(a["totalCost"] for a in etl)
            # The ETL's reconciled total, and each resource's reconciled figure, to 1e-9.
            assert is_close(g["total"], want_total), (day_name(d), g["total"], want_total)
            for cost, adj in PARTS:
                want = sum(a[cost] + a[adj] for a in etl)
                assert is_close(g[cost], want), (day_name(d), cost, g[cost], want)
            assert g["idle_rows"] > 0 and g["odd_rows"] == 0, g
            if d in hourly_days:
                # 24 hourly sets: the 6 containers, 2 idle rows and the On-Demand-only container
                # each hour, and the ETL-only container's one day row.
                assert g["hours"] == 24 and g["rows"] == 24 * (n_containers + 3) + 1 and g["day_rows"] == 1, (day_name(d), g)
            else:
                # The ETL's daily rows: the 6 containers, the ETL-only one, 2 idle rows.
                assert g["hours"] == 0 and g["rows"] == g["day_rows"] == n_containers + 3, (day_name(d), g)
        checks += 1

        # 2. Hourly rows keep the On-Demand API's raw costs; the On-Demand-only container is
        #    reconciled to 0 (its raw cost shown), the ETL-only one is its ETL day row.
        d = hourly_days[-1]
        glob = os.path.join(tree, "**", f"{day_name(d)}_*.parquet").replace("'", "''")
        rows = duck(args.readers, f"""SELECT name, sum("cpuCost") AS cpu, sum("totalCost") AS total,
            count(*)::BIGINT AS n FROM read_parquet('{glob}') GROUP BY name ORDER BY name""")
        by_name = {r["name"]: r for r in rows}
        served = collections.defaultdict(float)
        for t in range(d * 24, d * 24 + 24):
            for a in kube.compute_hour(t, True):
                served[a["name"]] += a["cpuCost"]
        for name, cpu in served.items():
            assert is_close(by_name[name]["cpu"], cpu), (name, by_name[name], cpu)
        only = by_name[kube.compute_only.name]
        assert only["n"] == 24 and only["cpu"] > 0 and abs(only["total"]) < 1e-9, only
        etl_only = [a for a in kube.etl_day(d) if a["name"] == kube.etl_only.name][0]
        assert by_name[kube.etl_only.name]["n"] == 1, by_name[kube.etl_only.name]
        assert is_close(by_name[kube.etl_only.name]["total"], etl_only["totalCost"])
        checks += 1

        # 3. The logs and the Pushgateway say which days are daily, once.
        names = ",".join(day_name(x) for x in daily_days)
        assert err.count("days exported in daily granularity from Kubecost's ETL store") == 1, err
        assert f"days={names}" in err and f"count={len(daily_days)}" in err, err
        for x in hourly_days:
            assert f"day={day_name(x)} granularity=hourly" in err, err
        assert f"cloudtuner_kubecost_s3_export_days_daily_fallback {len(daily_days)}\n" in pushed[-1], pushed[-1]
        assert f"cloudtuner_kubecost_s3_export_days_written {len(window)}\n" in pushed[-1], pushed[-1]
        checks += 1

        # 4. A second run uploads nothing.
        puts = len(aws.ops("PutObject"))
        rc, err2 = run(args.binary, env)
        assert rc == 0 and len(aws.ops("PutObject")) == puts, err2
        assert err2.count("day already in S3") == len(window), err2
        checks += 1

        # 5. AWS's Athena view and QuickSight dataset over the mixed hourly and daily files, in
        #    DuckDB, against the ETL's figures.
        files = {}
        for d in window:
            etl = kube.etl_day(d)
            namespaces = collections.defaultdict(float)
            for a in etl:
                namespaces["__idle__" if a["name"].endswith("/__idle__") else a["properties"]["namespace"]] += a["totalCost"]
            files[day_key(d)] = {"rows": got[day_name(d)]["rows"], "sums": {"totalCost": sum(a["totalCost"] for a in etl)},
                                 "namespaces": namespaces,
                                 "spot": sum(a["totalCost"] for a in etl if a["properties"]["node"] == "node-b")}
        with open(os.path.join(tree, "expectations.json"), "w") as f:
            json.dump({"files": files, "account": ACCOUNT, "region": REGION}, f, ensure_ascii=False)
        r = subprocess.run(["node", os.path.join(args.readers, "aws_dashboard_sql.mjs"), tree,
                            os.path.join(tree, "expectations.json"), args.athena, "", ""],
                           capture_output=True, text=True, timeout=180)
        print(r.stdout.strip())
        assert r.returncode == 0, r.stdout + r.stderr
        checks += 1

        # 6. RECONCILE_HOURLY=false: hourly rows as the On-Demand API sent them (no adjustment,
        #    no ETL-only row); the day then sums to the On-Demand API's own total.
        d = hourly_days[-1]
        del aws.objects[(BUCKET, day_key(d))]
        rc, err = run(args.binary, dict(env, RECONCILE_HOURLY="False"))
        assert rc == 0 and (BUCKET, day_key(d)) in aws.objects, err
        lay_out(aws, tree)
        g = per_day(args.readers, tree)[day_name(d)]
        sent = sum(a["totalCost"] for t in range(d * 24, d * 24 + 24) for a in kube.compute_hour(t, True))
        assert g["rows"] == 24 * (n_containers + 3) and g["day_rows"] == 0 and is_close(g["total"], sent), g
        checks += 1

        # 7. A Kubecost installed 3.5 days ago: the days before it have no data, and the log
        #    says so in AWS's words; nothing is written for them.
        young_port = free_port()
        young = KubecostSourcesStandIn(young_port, now, installed_days_ago=4)
        try:
            aws.objects.clear()
            rc, err = run(args.binary, dict(env, KUBECOST_API_ENDPOINT=f"http://127.0.0.1:{young_port}",
                                            BACKFILL_PERIOD_DAYS="6"))
            assert rc == 0, err
            assert sorted(k for (_, k) in aws.objects) == [day_key(today - 4), day_key(today - 3)], (aws.objects.keys(), err)
            line = [x for x in err.splitlines() if f"day={day_name(today - 5)}" in x and "level=error" in x]
            assert line and ('msg="API response appears to be empty. This script collects data between 72 hours ago '
                             'and 48 hours ago. Make sure that you have data at least within this timeframe."') in line[0], err
        finally:
            young.stop()
        checks += 1
    finally:
        kube.stop()
        aws.stop()
        push.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"s3-export complete days e2e: {checks} passed, 0 failed")


if __name__ == "__main__":
    main()
