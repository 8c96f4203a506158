#!/usr/bin/env python3
"""End to end: `allocation-exporter s3-export` against a hostile or broken S3/STS (the
botocore-verifying stand-in of aws_standin.py in its HOSTILE_MODES) and the stand-in Kubecost.

Each case runs the real binary and asserts that it exits 1 (no crash, no hang: bounded by the
deadlines) with one clear error line naming the call and the problem, that its peak RSS stays
bounded (peak RSS measured by GNU time), that nothing partial is uploaded and no multipart
upload is left open, that no temporary file is left in S3_EXPORT_WORK_DIR, and that no secret
(keys, session tokens, web identity token, URL userinfo passwords) reaches any log line.

Cases: a continuation token that never changes; a 230 MB listing (chunked, and announced by
Content-Length); header lines that never end; a slow-drip answer past the AWS call deadline,
and past the run deadline;
a 200 listing that is an HTML page, cut short, or inconsistent; a page whose keys or <Prefix>
lie outside the requested prefix;
entity-heavy XML (a 12 MB key of '&amp;'); 200 with an <Error> body on PutObject and on
CompleteMultipartUpload; an STS SessionToken with CR/LF (raw and as character references);
SIGTERM and SIGINT while an UploadPart is in flight; userinfo in the Pod Identity URI and in
AWS_ENDPOINT_URL.
"""
import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_standin import AwsStandIn  # noqa: E402
from harness import free_port  # noqa: E402
from test_s3_export_e2e import KubecostS3StandIn, ACCOUNT, REGION, CLUSTER, BUCKET, WEB_TOKEN  # noqa: E402

STATIC_KEY, STATIC_SECRET = "AKIAHOSTILETEST00000", "hostile/static/secret+key"
POD_PASSWORD, ENDPOINT_PASSWORD = "pod-userinfo-pw-7f3a", "endpoint-userinfo-pw-9c1e"
MAX_RSS_KB = 100 * 1024  # a 16 MiB answer cap plus the process; the 230 MB listing took 593 MB


class Outcome:
    def __init__(self, rc, log, rss_kb, seconds):
        self.rc, self.log, self.rss_kb, self.seconds = rc, log, rss_kb, seconds

    def error_lines(self):
        return [line for line in self.log.splitlines() if "level=error" in line]


def start(binary, env, log_path):
    """The binary under GNU time, whose %M is the peak RSS of the binary alone. (The wait4 of a
    child Python spawned would not do: Linux carries the parent's RSS high-water mark across
    fork and exec into the child's ru_maxrss.)"""
    log = open(log_path, "w")
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", log_path + ".rss", binary, "s3-export"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def exporter_pid(proc, timeout=10):
    """The pid of the binary GNU time runs (its only child)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                children = f.read().split()
            if children:
                return int(children[0])
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    raise AssertionError("the exporter did not start")


def finish(proc, log, log_path, t0, timeout):
    """Waits at most `timeout` seconds; kills the process group on overrun."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()
        raise AssertionError(f"s3-export did not exit within {timeout}s:\n" + open(log_path).read()[-3000:])
    seconds = time.time() - t0
    log.close()
    with open(log_path) as f:
        text = f.read()
    with open(log_path + ".rss") as f:
        rss_kb = int(f.read().split()[-1])
    return Outcome(proc.returncode, text, rss_kb, seconds)


def run(binary, env, log_path, timeout=60):
    t0 = time.time()
    proc, log = start(binary, env, log_path)
    return finish(proc, log, log_path, t0, timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures/kubecost")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kci-s3hostile-")
    work = os.path.join(tmp, "work")
    os.makedirs(work)
    today = int(time.time()) // 86400
    kport, aport = free_port(), free_port()
    kube = KubecostS3StandIn(args.fixtures, kport, [])
    aws = AwsStandIn(aport, REGION, web_token=WEB_TOKEN, static=(STATIC_KEY, STATIC_SECRET)).start()
    token_file = os.path.join(tmp, "web-identity-token")
    with open(token_file, "w") as f:
        f.write(WEB_TOKEN + "\n")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBECOST"))}
    env = dict(base, S3_BUCKET_NAME=BUCKET, CLUSTER_ID=f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
               AWS_ACCESS_KEY_ID=STATIC_KEY, AWS_SECRET_ACCESS_KEY=STATIC_SECRET,
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{aport}", AWS_REGION=REGION,
               KUBECOST_API_ENDPOINT=f"http://127.0.0.1:{kport}", BACKFILL_PERIOD_DAYS="5",
               KUBECOST_CLUSTER_ID="cluster-one", S3_EXPORT_WORK_DIR=work, KUBECOST_RETRIES="0", LOG_FORMAT="logfmt")
    irsa = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    irsa.update(AWS_ROLE_ARN=f"arn:aws:iam::{ACCOUNT}:role/kubecost-s3-exporter", AWS_WEB_IDENTITY_TOKEN_FILE=token_file)
    prefix = f"account_id={ACCOUNT}/region={REGION}/year="
    day_keys = [f"account_id={ACCOUNT}/region={REGION}/year={time.strftime('%Y', time.gmtime(d * 86400))}/"
                f"month={time.strftime('%m', time.gmtime(d * 86400))}/"
                f"{time.strftime('%Y-%m-%d', time.gmtime(d * 86400))}_{CLUSTER}.snappy.parquet"
                for d in (today - 4, today - 3)]  # AWS's window for 5 days
    outcomes, checks = [], 0

    def reset(*modes):
        aws.hostile = set(modes)
        aws.log.clear()
        aws.objects.clear()
        aws.uploads.clear()
        aws.injected.clear()
        aws.part_started.clear()
        aws.release_part.clear()

    def clean(o, name):
        """What every hostile case must leave: exit 1, bounded memory, nothing stored or open,
        no temporary file."""
        outcomes.append(o)
        print(f"  {name}: exit {o.rc} in {o.seconds:.1f}s, peak RSS {o.rss_kb // 1024} MiB")
        assert o.rc == 1, (name, o.log)
        assert "Segmentation" not in o.log and "terminate called" not in o.log, o.log
        assert o.rss_kb < MAX_RSS_KB, (name, o.rss_kb)
        assert not aws.objects, (name, list(aws.objects))
        assert not aws.uploads, (name, "multipart upload left open", aws.uploads)
        left = glob.glob(os.path.join(work, "*.part-*"))
        assert not left, (name, left)

    def one_error(o, *parts):
        """The error line holding every one of `parts`."""
        lines = [line for line in o.error_lines() if all(p in line for p in parts)]
        assert lines, (parts, o.log)
        print("    " + lines[0][lines[0].find("msg="):][:400])
        return lines[0]

    try:
        # 1. A continuation token that never changes: two ListObjectsV2 requests, not 100 000.
        reset("list-repeat-token")
        o = run(args.binary, env, os.path.join(tmp, "repeat.log"))
        clean(o, "repeating continuation token")
        one_error(o, "s3-export cannot list the bucket", f"s3:ListObjectsV2 s3://{BUCKET}/{prefix}",
                  'continuation token \\"same-token\\" (page 2) was already used')
        assert len(aws.ops("ListObjectsV2")) == 2, len(aws.ops("ListObjectsV2"))
        checks += 1

        # 1b. A 200 listing that is not a whole, consistent ListBucketResult (an HTML page, a
        #     page cut short, a last page naming a next token): exit 1, nothing uploaded
        #     (issue 13 item 5; before, such a page read as "no objects" and every day went up).
        for mode, why in (("list-html", "the root element is <html>, not <ListBucketResult>"),
                          ("list-cut", "the document ends inside <Key>"),
                          ("list-inconsistent", "not truncated, yet it has a NextContinuationToken")):
            reset(mode)
            o = run(args.binary, env, os.path.join(tmp, f"{mode}.log"))
            clean(o, mode)
            one_error(o, "s3-export cannot list the bucket", f"s3:ListObjectsV2 s3://{BUCKET}/{prefix}",
                      "is not a ListObjectsV2 page we can trust", why, "nothing is uploaded")
            assert not aws.ops("PutObject") and not aws.ops("CreateMultipartUpload"), aws.log
        checks += 1

        # 1c. A page of another listing: keys outside the requested prefix that name this
        #     cluster's days (another account, region, month), or another <Prefix>. Before,
        #     only a key's last segment was read: those days counted as in S3 and the run exited
        #     0 having uploaded nothing (aws/s3_listing.hpp page_outside_prefix).
        foreign = [k.replace(f"account_id={ACCOUNT}/", "account_id=999999999999/") for k in day_keys]
        foreign += [k.replace(f"region={REGION}/", "region=eu-west-1/") for k in day_keys]
        aws.foreign_keys = foreign
        reset("list-foreign-keys")
        o = run(args.binary, env, os.path.join(tmp, "foreign-keys.log"))
        clean(o, "keys outside the requested prefix")
        one_error(o, "s3-export cannot list the bucket", f"s3:ListObjectsV2 s3://{BUCKET}/{prefix}",
                  f'the page lists the key \\"{foreign[0]}\\", outside the requested prefix \\"{prefix}',
                  "nothing is uploaded")
        assert not aws.ops("PutObject") and not aws.ops("CreateMultipartUpload"), aws.log
        reset("list-other-prefix")
        o = run(args.binary, env, os.path.join(tmp, "other-prefix.log"))
        clean(o, "another listing's <Prefix>")
        one_error(o, "s3-export cannot list the bucket",
                  'the page is the listing of prefix \\"account_id=999999999999/\\", not of the requested prefix',
                  "nothing is uploaded")
        aws.foreign_keys = []
        checks += 1

        # 2. A 230 MB listing page: refused at 16 MiB, memory stays flat.
        for mode in ("list-huge", "list-huge-length"):
            reset(mode)
            o = run(args.binary, env, os.path.join(tmp, f"{mode}.log"))
            clean(o, mode)
            one_error(o, f"s3:ListObjectsV2 s3://{BUCKET}/{prefix}",
                      "answer larger than 16 MiB (the cap for an AWS answer): refused")
        checks += 1

        # 2b. Header lines that never end: cut once the head passes 64 KiB.
        reset("list-header-flood")
        o = run(args.binary, env, os.path.join(tmp, "header-flood.log"))
        clean(o, "endless header lines")
        one_error(o, f"s3:ListObjectsV2 s3://{BUCKET}/{prefix}",
                  "the answer's status line and headers exceed 64 KiB: refused")
        checks += 1

        # 2c. A 30 000-byte reason phrase on UploadPart's 500 (a SIGSEGV before, the multipart
        #     upload left open): retried, then exit 1 with the upload aborted.
        reset("part-long-reason")
        o = run(args.binary, dict(env, S3_MULTIPART_THRESHOLD_BYTES="0"),
                os.path.join(tmp, "long-reason.log"))
        clean(o, "a 30 000-byte reason phrase on UploadPart")
        assert "R" * 200 not in o.log, "the reason phrase reached the log"
        assert len(aws.ops("UploadPart")) >= 1, aws.log
        assert aws.ops("AbortMultipartUpload"), aws.log
        checks += 1

        # 3. A slow drip past the AWS call deadline, then past the run deadline.
        reset("list-slow-drip")
        o = run(args.binary, dict(env, S3_EXPORT_AWS_TIMEOUT="3s"), os.path.join(tmp, "drip.log"))
        clean(o, "slow drip, call deadline 3s")
        one_error(o, f"s3:ListObjectsV2 s3://{BUCKET}/{prefix}", "no complete answer within 3s (s3ExportAwsTimeout)")
        assert o.seconds < 30, o.seconds
        reset("list-slow-drip")
        o = run(args.binary, dict(env, S3_EXPORT_RUN_TIMEOUT="3s"), os.path.join(tmp, "drip-run.log"))
        clean(o, "slow drip, run deadline 3s")
        one_error(o, "s3-export cannot list the bucket", "cancelled: the run took longer than s3ExportRunTimeout=3s")
        one_error(o, "s3-export run deadline passed")
        assert o.seconds < 30, o.seconds
        checks += 1

        # 4. Entity-heavy XML: a 12 MB key of '&amp;' (quadratic to decode the old way) is read in
        #    linear time; the junk key matches no day, so the run goes on and succeeds.
        reset("list-entities")
        o = run(args.binary, env, os.path.join(tmp, "entities.log"))
        outcomes.append(o)
        print(f"  entity-heavy listing: exit {o.rc} in {o.seconds:.1f}s, peak RSS {o.rss_kb // 1024} MiB")
        assert o.rc == 0, o.log
        assert sorted(k for (_, k) in aws.objects) == sorted(day_keys), list(aws.objects)
        assert o.rss_kb < MAX_RSS_KB, o.rss_kb
        checks += 1

        # 5. 200 with an <Error> body: PutObject, and CompleteMultipartUpload (then aborted).
        reset("put-error-200")
        o = run(args.binary, env, os.path.join(tmp, "put-error.log"))
        clean(o, "PutObject 200 <Error>")
        one_error(o, "day export failed", f"s3:PutObject s3://{BUCKET}/{day_keys[0]}",
                  "InternalError: We encountered an internal error. Please try again. (HTTP 200)")
        assert "day exported" not in o.log, o.log
        reset("complete-error-200")
        o = run(args.binary, dict(env, S3_MULTIPART_THRESHOLD_BYTES="0"), os.path.join(tmp, "complete-error.log"))
        clean(o, "CompleteMultipartUpload 200 <Error>")
        one_error(o, "day export failed", f"s3:CompleteMultipartUpload s3://{BUCKET}/{day_keys[0]}",
                  "InternalError: We encountered an internal error. Please try again. (HTTP 200)")
        created = {e[3] for e in aws.ops("CreateMultipartUpload")}
        aborted = {e[3] for e in aws.ops("AbortMultipartUpload")}
        assert len(created) == 2 and created == aborted, (created, aborted)
        checks += 1

        # 5b. A 200 that is not a well-formed success for its call (issue 21 item A): a
        #     CompleteMultipartUpload answered with keep-alive spaces only, a proxy's HTML page
        #     or a result for another key; a PutObject or UploadPart without an ETag. Before,
        #     each read as stored: the day counted as exported, the run exited 0.
        for mode, call, what in (
                ("complete-blank-200", "CompleteMultipartUpload",
                 'answered 200 without a CompleteMultipartUploadResult for key \\"{key}\\" (the body is empty)'),
                ("complete-html-200", "CompleteMultipartUpload",
                 'answered 200 without a CompleteMultipartUploadResult for key \\"{key}\\" '
                 "(the root element is not <CompleteMultipartUploadResult>)"),
                ("complete-other-key-200", "CompleteMultipartUpload",
                 'answered 200 without a CompleteMultipartUploadResult for key \\"{key}\\" '
                 "(the result's <Key> is another key)"),
                ("part-no-etag-200", "UploadPart", "part 1 answered 200 without an ETag header"),
                ("put-no-etag-200", "PutObject", "answered 200 without an ETag header")):
            reset(mode)
            multipart = mode != "put-no-etag-200"
            run_env = dict(env, S3_MULTIPART_THRESHOLD_BYTES="0") if multipart else env
            o = run(args.binary, run_env, os.path.join(tmp, f"{mode}.log"))
            clean(o, mode)
            line = one_error(o, "day export failed", f"s3:{call} s3://{BUCKET}/{day_keys[0]}",
                             what.format(key=day_keys[0]))
            assert "<html>" not in line and "OK</body>" not in line, line
            assert "day exported" not in o.log, o.log
            if multipart:
                created = {e[3] for e in aws.ops("CreateMultipartUpload")}
                aborted = {e[3] for e in aws.ops("AbortMultipartUpload")}
                assert len(created) == 2 and created == aborted, (mode, created, aborted)
        checks += 1

        # 6. An STS SessionToken with CR/LF (raw, and as &#13;&#10;): refused before any S3
        #    request; no header ever reaches the stand-in injected.
        for mode in ("sts-crlf-token", "sts-crlf-entity"):
            reset(mode)
            o = run(args.binary, irsa, os.path.join(tmp, f"{mode}.log"))
            clean(o, mode)
            one_error(o, "s3-export cannot get AWS credentials",
                      f"sts:AssumeRoleWithWebIdentity arn:aws:iam::{ACCOUNT}:role/kubecost-s3-exporter",
                      "the SessionToken holds a control character (CR, LF, ...): refused")
            assert len(aws.ops("AssumeRoleWithWebIdentity")) == 1, aws.log
            assert not aws.ops("ListObjectsV2") and not aws.injected, (aws.log, aws.injected)
            assert "X-Injected" not in o.log, o.log
        checks += 1

        # 7. SIGTERM (then SIGINT) while UploadPart is in flight: the request is cut, the upload
        #    aborted, the temporary file removed, exit 1 with "interrupted".
        for sig in (signal.SIGTERM, signal.SIGINT):
            reset("stall-part")
            log_path = os.path.join(tmp, f"signal-{sig.name}.log")
            t_start = time.time()
            proc, log = start(args.binary, dict(env, S3_MULTIPART_THRESHOLD_BYTES="0"), log_path)
            assert aws.part_started.wait(60), open(log_path).read()
            temp_files = glob.glob(os.path.join(work, "*.part-*"))
            assert len(temp_files) == 1, temp_files  # the day's file exists while its part is held
            t0 = time.time()
            os.kill(exporter_pid(proc), sig)
            o = finish(proc, log, log_path, t_start, 30)
            to_exit = time.time() - t0
            log_at_exit = list(aws.log)
            aws.release_part.set()
            o.seconds = to_exit
            clean(o, f"{sig.name} during UploadPart")
            print(f"    exited {to_exit * 1000:.0f} ms after {sig.name}")
            assert to_exit < 15, to_exit
            assert f"signal={sig.name}" in o.log and "interrupted" in o.log, o.log
            one_error(o, "s3-export ended early, exit code 1", f"interrupted by {sig.name}")
            created = [e[3] for e in log_at_exit if e[0] == "CreateMultipartUpload"]
            aborted = [e[3] for e in log_at_exit if e[0] == "AbortMultipartUpload"]
            assert len(created) == 1 and aborted == created, (created, aborted)
            assert not [e for e in log_at_exit if e[0] in ("UploadPart", "CompleteMultipartUpload")], log_at_exit
            assert "s3 multipart upload aborted" in o.log, o.log
            assert not os.path.exists(temp_files[0])
        checks += 1

        # 8. Userinfo in the Pod Identity URI and in AWS_ENDPOINT_URL never reaches a log line.
        reset()
        aws.pod_identity_token = "expected-pod-token"
        pod = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        pod["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = f"http://agent:{POD_PASSWORD}@127.0.0.1:{aport}/pod-identity/credentials"
        o = run(args.binary, pod, os.path.join(tmp, "pod-userinfo.log"))
        clean(o, "Pod Identity URI with userinfo (agent refuses)")
        one_error(o, f"EKS Pod Identity http://REDACTED@127.0.0.1:{aport}/pod-identity/credentials",
                  "AccessDeniedException: bad token (HTTP 401)")
        closed = free_port()
        pod["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = f"http://agent:{POD_PASSWORD}@127.0.0.1:{closed}/v1/credentials"
        o = run(args.binary, pod, os.path.join(tmp, "pod-closed.log"))
        clean(o, "Pod Identity URI with userinfo (nothing listening)")
        one_error(o, f"EKS Pod Identity http://REDACTED@127.0.0.1:{closed}/v1/credentials", f"(http://127.0.0.1:{closed})")
        o = run(args.binary, dict(env, AWS_ENDPOINT_URL=f"http://key:{ENDPOINT_PASSWORD}@127.0.0.1:{closed}"),
                os.path.join(tmp, "endpoint-closed.log"))
        clean(o, "AWS_ENDPOINT_URL with userinfo (nothing listening)")
        one_error(o, f"s3:ListObjectsV2 s3://{BUCKET}/{prefix}", f"(http://127.0.0.1:{closed})")
        checks += 1

        # 9. No secret in any log line of any case.
        secrets_seen = [STATIC_SECRET, WEB_TOKEN, POD_PASSWORD, ENDPOINT_PASSWORD, "expected-pod-token"]
        secrets_seen += [v[0] for v in aws.keys.values()]
        secrets_seen += [v[1].split("\r")[0].split("&#13;")[0] for v in aws.keys.values() if v[1]]
        for o in outcomes:
            for s in secrets_seen:
                assert s not in o.log, "a secret reached the logs"
        checks += 1
    finally:
        aws.release_part.set()
        kube.stop()
        aws.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"s3-export hostile e2e: {checks} passed, 0 failed")


if __name__ == "__main__":
    main()
