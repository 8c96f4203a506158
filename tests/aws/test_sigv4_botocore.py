#!/usr/bin/env python3
"""Differential test: our SigV4 signer against botocore's (the AWS SDK for Python) on
randomised S3 requests: methods, unicode and reserved characters in keys, repeated and empty
query parameters, header case and inner spaces, payloads, regions, dates."""
import datetime
import json
import random
import subprocess
import sys
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

CLI = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 500
rng = random.Random(20261122)
ALPHABET = "abcXYZ019-_.~ !$&'()*+,;=:@/%é測🙂"


def rand_text(lo, hi, alphabet=ALPHABET):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


class FixedDatetime(datetime.datetime):
    fixed = None

    @classmethod
    def utcnow(cls):
        return cls.fixed


botocore.auth.datetime.datetime = FixedDatetime

cases, expected = [], []
for i in range(N):
    method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
    key = rand_text(1, 30)
    # Path-style, as custom endpoints and dotted bucket names are addressed (s3.hpp s3_address):
    # the bucket is part of the canonical URI.
    path = "/" + rng.choice(["bucket-", "my.bucket.", "a.b-c."]) + str(rng.randint(0, 9)) + "/" + key
    query = [(rand_text(1, 8, "abcXYZ-_.~ &=é"), rand_text(0, 10)) for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.2:
        query.append(("uploads", ""))
    payload = rand_text(0, 200)
    region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2"])
    when = datetime.datetime(2020, 1, 1) + datetime.timedelta(seconds=rng.randint(0, 10**8))
    FixedDatetime.fixed = when
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    host = f"127.0.0.1:{rng.randint(1024, 65535)}"
    headers = {"X-Custom-" + rand_text(1, 5, "abcXYZ"): "  v  " + rand_text(0, 10, "abc xyz") + "  "}
    if rng.random() < 0.5:
        headers["Content-Type"] = "application/octet-stream"
    url = "http://" + host + urllib.parse.quote(path, safe="/~") + (
        "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else "")
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=payload.encode(), headers=dict(headers))
    creds = botocore.credentials.Credentials("AKID" + str(i), "secret/" + rand_text(10, 30, "abcXYZ019+/"))
    botocore.auth.S3SigV4Auth(creds, "s3", region).add_auth(req)
    want = req.headers["Authorization"]
    sent = [("host", host)] + [(k, v) for k, v in headers.items()] + [
        ("x-amz-date", req.headers["X-Amz-Date"]), ("x-amz-content-sha256", req.headers["X-Amz-Content-SHA256"])]
    cases.append(json.dumps({"method": method, "path": path, "query": query, "headers": sent,
                             "payload": payload, "service": "s3", "region": region,
                             "access": creds.access_key, "secret": creds.secret_key, "amz_date": amz_date},
                            ensure_ascii=False))
    expected.append(want)

out = subprocess.run([CLI], input="\n".join(cases) + "\n", capture_output=True, text=True, check=True)
got = out.stdout.splitlines()
assert len(got) == N, (len(got), N)
bad = [(c, g, w) for c, g, w in zip(cases, got, expected) if g != w]
for c, g, w in bad[:3]:
    print("MISMATCH\n case:", c, "\n ours:", g, "\n boto:", w)
print(f"sigv4 vs botocore: {N - len(bad)} passed, {len(bad)} failed")
sys.exit(1 if bad else 0)
