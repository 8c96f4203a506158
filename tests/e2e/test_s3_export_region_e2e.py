#!/usr/bin/env python3
"""End to end (issue 13 items 4, 5 and 10): `allocation-exporter s3-export` against the stand-in
Kubecost and the botocore-verifying S3 stand-in (aws_standin.py) with the bucket in a home region
that is neither AWS_REGION nor the cluster's.

Proves:
  - a bucket in another region is followed as the AWS SDKs follow it, for both of S3's answers
    (400 AuthorizationHeaderMalformed with <Region>, 301 PermanentRedirect with
    x-amz-bucket-region): one refused request per run, then every request signed for the
    bucket's region; the objects' region= partition and properties.region are the cluster's
    (CLUSTER_ID), never AWS_REGION nor the bucket's;
  - writes are conditional: with the listing missing the objects, the PutObject (and the
    multipart CompleteMultipartUpload) of a day already there gets 412, is logged "already in
    S3", the object is kept byte for byte, exit 0, no multipart upload left open;
  - a CreateMultipartUpload answered 500 is not retried (one upload opened), the day fails
    (exit 1) and the next run fills it;
  - zstd files are named .zstd.parquet and a second run recognises them (nothing uploaded);
  - an empty AWS_REGION is unset (the ARN's region is signed for first); a dotted bucket name
    is addressed path-style and its signatures verify; BACKFILL_PERIOD_DAYS=3 asks nothing.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_standin import AwsStandIn  # noqa: E402
from harness import free_port  # noqa: E402
from test_s3_export_e2e import KubecostS3StandIn, ACCOUNT, CLUSTER, BUCKET  # noqa: E402

CLUSTER_REGION, POD_REGION, BUCKET_REGION = "us-east-1", "eu-west-2", "eu-central-1"
KEY, SECRET = "AKIAREGIONTEST000000", "region/static/secret+key"


def run(binary, env, timeout=120):
    p = subprocess.run([binary, "s3-export"], env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures/kubecost")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kci-s3region-")
    kport, aport = free_port(), free_port()
    kube = KubecostS3StandIn(args.fixtures, kport, [])
    aws = AwsStandIn(aport, POD_REGION, static=(KEY, SECRET)).start()
    aws.bucket_regions[BUCKET] = BUCKET_REGION
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBECOST"))}
    env = dict(base, S3_BUCKET_NAME=BUCKET,
               CLUSTER_ID=f"arn:aws:eks:{CLUSTER_REGION}:{ACCOUNT}:cluster/{CLUSTER}",
               AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{aport}", AWS_REGION=POD_REGION,
               KUBECOST_API_ENDPOINT=f"http://127.0.0.1:{kport}", BACKFILL_PERIOD_DAYS="4",
               KUBECOST_CLUSTER_ID="cluster-one",  # the stand-in's id for this cluster
               S3_EXPORT_WORK_DIR=tmp, KUBECOST_RETRIES="0", LOG_FORMAT="logfmt")
    checks = 0
    try:
        # 1. Both wrong-region answers, each followed once and remembered for the run.
        for answer in ("400", "301"):
            aws.objects.clear()
            aws.log.clear()
            aws.wrong_region = answer
            rc, err = run(args.binary, env)
            assert rc == 0, err
            assert aws.objects, ("nothing uploaded", answer, err)
            wrong = aws.ops("WrongRegion")
            assert len(wrong) == 1, (answer, wrong)
            assert wrong[0][2] == POD_REGION, wrong
            assert "s3 bucket is in another region" in err and f"bucket_region={BUCKET_REGION}" in err, err
            for (_, key), body in aws.objects.items():
                # The partition and the dataset's region are the cluster's.
                assert f"/region={CLUSTER_REGION}/" in key, key
                assert key.endswith(f"_{CLUSTER}.snappy.parquet"), key
                assert POD_REGION.encode() not in body and BUCKET_REGION.encode() not in body, key
                assert CLUSTER_REGION.encode() in body, key
            print(f"  wrong region answered {answer}: followed once, {len(aws.objects)} objects, "
                  f"region={CLUSTER_REGION} in keys and rows")
        checks += 1
        written = dict(aws.objects)

        # 2. Conditional writes: the listing misses every object, the writes get 412.
        aws.hidden = set(written)
        for extra in ({}, {"S3_MULTIPART_THRESHOLD_BYTES": "0"}):
            aws.log.clear()
            rc, err = run(args.binary, dict(env, **extra))
            assert rc == 0, err
            refused = aws.ops("PutObject") + aws.ops("CompleteMultipartUpload")
            assert len(refused) == len(written) and all(op[2] == 412 for op in refused), aws.log
            assert err.count("day already in S3 (412 Precondition Failed)") == len(written), err
            assert aws.objects == written, "an object was overwritten"
            assert not aws.uploads, ("multipart upload left open", aws.uploads)
            if extra:
                assert len(aws.ops("AbortMultipartUpload")) == len(written), aws.log
            print(f"  listing missed {len(written)} objects ({'multipart' if extra else 'PutObject'}): "
                  "412 each, kept, exit 0")
        aws.hidden = set()
        checks += 1

        # 3. CreateMultipartUpload answered 500: not retried; the day fails, the next run fills it.
        first = sorted(written)[0]
        del aws.objects[first]
        aws.log.clear()
        aws.fail_creates = 1
        rc, err = run(args.binary, dict(env, S3_MULTIPART_THRESHOLD_BYTES="0"))
        assert rc == 1, err
        creates = aws.ops("CreateMultipartUpload")
        assert creates == [("CreateMultipartUpload", first[1], 500)], creates
        assert "day export failed" in err and "InternalError" in err, err
        rc, err = run(args.binary, dict(env, S3_MULTIPART_THRESHOLD_BYTES="0"))
        assert rc == 0 and first in aws.objects, err
        print("  CreateMultipartUpload 500: one request, day failed, filled by the next run")
        checks += 1

        # 4. zstd: named by codec, recognised by the next run's listing.
        aws.objects.clear()
        aws.log.clear()
        zstd = dict(env, S3_EXPORT_COMPRESSION="zstd")
        rc, err = run(args.binary, zstd)
        assert rc == 0 and aws.objects, err
        assert all(k.endswith(f"_{CLUSTER}.zstd.parquet") for (_, k) in aws.objects), list(aws.objects)
        puts = len(aws.ops("PutObject"))
        rc, err = run(args.binary, zstd)
        assert rc == 0 and len(aws.ops("PutObject")) == puts, err
        assert err.count("day already in S3: skipped") == puts, err
        rc, err = run(args.binary, env)  # snappy now: the zstd days are there already
        assert rc == 0 and len(aws.ops("PutObject")) == puts, err
        print(f"  zstd: {puts} objects named .zstd.parquet, recognised by the next runs")
        checks += 1
        # 5. AWS_REGION set but empty (a Helm value rendered ""): as if unset, the ARN's region
        #    is the first one signed for (app/s3_export_mode.hpp aws_request_region; before,
        #    requests were signed for "").
        aws.objects.clear()
        aws.log.clear()
        aws.wrong_region = "301"
        rc, err = run(args.binary, dict(env, AWS_REGION=""))
        assert rc == 0 and aws.objects, err
        wrong = aws.ops("WrongRegion")
        assert len(wrong) == 1 and wrong[0][2] == CLUSTER_REGION, wrong
        assert f"region={CLUSTER_REGION}" in err.split("aws credentials")[1].splitlines()[0], err
        print(f"  AWS_REGION=\"\": signed for the cluster's {CLUSTER_REGION} first, then followed")
        checks += 1

        # 6. A bucket name with dots: path-style (the bucket in the signed path, botocore
        #    verifies the signature), the region answer still followed (botocore utils.py
        #    check_dns_name and S3RegionRedirectorv2; aws/s3.hpp).
        dotted = "kci.e2e.data"
        aws.bucket_regions[dotted] = BUCKET_REGION
        aws.objects.clear()
        aws.log.clear()
        rc, err = run(args.binary, dict(env, S3_BUCKET_NAME=dotted))
        assert rc == 0 and aws.objects, err
        assert all(b == dotted for (b, _) in aws.objects), list(aws.objects)
        assert len(aws.ops("WrongRegion")) == 1, aws.log
        print(f"  bucket {dotted}: {len(aws.objects)} objects, path-style, signatures verified")
        checks += 1

        # 7. BACKFILL_PERIOD_DAYS=3: AWS's window [midnight(now-2d), midnight(now-2d)) holds no
        #    day; neither Kubecost nor S3 is asked, one line says so, exit 0 (AWS's main.py
        #    kubecost_backfill_period_window_calc; s3export/backfill_plan.hpp).
        aws.log.clear()
        kube.paths.clear()
        rc, err = run(args.binary, dict(env, BACKFILL_PERIOD_DAYS="3"))
        assert rc == 0, err
        assert not kube.paths and not aws.ops("ListObjectsV2") and not aws.ops("PutObject"), (kube.paths, aws.log)
        assert err.count("s3-export back-fill window is empty") == 1, err
        assert "back-fill period" not in err, err
        print("  BACKFILL_PERIOD_DAYS=3: empty window, nothing asked, exit 0")
        checks += 1
    finally:
        kube.stop()
        aws.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"s3-export region/conditional-write e2e: {checks} passed, 0 failed")


if __name__ == "__main__":
    main()
