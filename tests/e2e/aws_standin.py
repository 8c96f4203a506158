"""A loopback S3 + STS endpoint that checks every signature with botocore (the AWS SDK's own
SigV4 code) and answers like AWS: XML errors with codes, 403 on a bad or unknown signature.

Credentials: `static` keys are accepted as configured; AssumeRoleWithWebIdentity (unsigned)
checks the web identity token and issues "web" session keys; AssumeRole must be signed by such
keys and issues "parent" keys. When `require_parent` is set, S3 accepts only parent keys (proof
of role chaining). Keys listed in `expired` are refused with ExpiredToken.

Buckets live in a home region (`bucket_regions`, default `region`): an S3 request signed for
another region is answered as S3 answers it (see `wrong_region`). Writes honour S3's
conditional writes (If-None-Match: * on PutObject and CompleteMultipartUpload: 412 when the key
exists). Keys in `hidden` exist but are left out of listings (a listing that missed an object).

Hostile modes (`hostile`, a set of the names below) make it a broken or lying peer, each on the
documented shape it breaks; see HOSTILE_MODES. Every request that arrives with an X-Injected
header (a header smuggled through a CR/LF) is recorded in `injected`.
"""
import datetime
import hashlib
import json
import base64
import http.server
import secrets
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape as xml_escape

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from harness import LoopbackServer


AMZ_DATE = "%Y%m%dT%H%M%SZ"
# How S3 answers a request for a bucket of another region ("Amazon S3 API Reference: Error
# responses", https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html):
#  "400": AuthorizationHeaderMalformed (400 Bad Request), signed for the wrong region; the body
#         names the right one in <Region> ("the region 'us-east-1' is wrong; expecting
#         'eu-central-1'"), as botocore's S3RegionRedirectorv2.get_bucket_region reads it.
#  "301": PermanentRedirect (301 Moved Permanently), "must be addressed using the specified
#         endpoint", the bucket's region in the x-amz-bucket-region header (sent to the wrong
#         regional endpoint; "Virtual hosting of buckets", https://docs.aws.amazon.com/AmazonS3/
#         latest/userguide/VirtualHosting.html).
# A HEAD gets the same status without a body ("HeadBucket": "a HEAD request has the same
# options as a GET ... the response body is empty"; x-amz-bucket-region is sent).
WRONG_REGION_ANSWERS = ("400", "301")
# S3 conditional writes ("How to prevent object overwrites with conditional writes",
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html): PutObject and
# CompleteMultipartUpload take If-None-Match: *; when the key exists, 412 Precondition Failed
# and nothing is written ("the multipart upload is not completed": it can still be aborted);
# another If-None-Match value is 501 NotImplemented.
PRECONDITION_FAILED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>'
                       b'<Message>At least one of the pre-conditions you specified did not hold</Message>'
                       b'<Condition>If-None-Match</Condition></Error>')
# S3 accepts a signed request only if it arrives within 15 minutes of the time stamp it carries,
# and otherwise refuses it with 403 RequestTimeTooSkewed (request time and server time too far
# apart). AWS documents both: "Authenticating Requests (AWS Signature Version 4)" in the Amazon S3
# API Reference, https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
# (15 minutes), and the RequestTimeTooSkewed entry of its error code list,
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (403 Forbidden).
S3_MAX_SKEW = datetime.timedelta(minutes=15)

# The hostile modes, and the documented behaviour each one breaks or abuses.
HOSTILE_MODES = {
    # A 200 whose body is not a whole ListBucketResult: a proxy's HTML page, or a page cut
    # short. A real ListObjectsV2 answer is the complete XML document of "Response Syntax"
    # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
    "list-html": "ListObjectsV2 answers 200 with an HTML page",
    "list-cut": "ListObjectsV2 answers 200 with the page cut short inside <Contents>",
    "list-inconsistent": "a page says IsTruncated false yet names a NextContinuationToken",
    # ListObjectsV2 `prefix` "Limits the response to keys that begin with the specified prefix",
    # and the answer's <Prefix> echoes it (same page, Request Parameters and Response Syntax).
    # A broken proxy or a lying peer answering another listing: its keys may hold this
    # cluster's day names under another account, region or month.
    "list-foreign-keys": "a page of the requested <Prefix> whose keys (`foreign_keys`) lie outside it",
    "list-other-prefix": "a page whose <Prefix> is another one (account_id=999999999999/)",
    # ListObjectsV2 ("Amazon S3 API Reference: ListObjectsV2",
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html): a page holds at
    # most MaxKeys (1 000) keys; when IsTruncated is true, NextContinuationToken is sent and the
    # next request passes it as continuation-token. A real listing always advances.
    "list-repeat-token": "every page is truncated and names the same NextContinuationToken",
    # Same page size rule: 1 000 keys of at most 1 024 bytes ("Naming Amazon S3 objects",
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html) is under 2 MiB.
    "list-huge": "one page of ~230 MB, chunked (no Content-Length)",
    "list-huge-length": "one page of ~230 MB announced by Content-Length",
    # HTTP/1.1 leaves the number and size of header fields to the recipient ("a recipient MAY
    # ... reject" what it finds too large: RFC 9110 section 5.4, https://www.rfc-editor.org/rfc/
    # rfc9110#section-5.4); an endless run of header lines must be cut by the client.
    "list-header-flood": "the answer's header lines never end (4 KB each, as fast as TCP goes)",
    # RFC 9112 section 4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ), no length limit;
    # a client must survive a long one (cpp-httplib 0.11's status-line regex overflowed the
    # stack on 30 000 bytes: SIGSEGV with the multipart upload left open).
    "part-long-reason": "UploadPart answers 500 with a 30 000-byte reason phrase",
    # A peer that sends a byte at a time keeps every read timeout happy and never finishes.
    "list-slow-drip": "the page announces 10 MB and sends one byte every 200 ms",
    # XML 1.0 entity and character references (https://www.w3.org/TR/xml/#sec-references);
    # S3 escapes '&' in keys as &amp;. This page holds a key of 12 MB of "&amp;" (well-formed:
    # a bare '&' is not, and is refused as such).
    "list-entities": "a page with a 12 MB key of '&amp;' entities",
    # CompleteMultipartUpload "could fail after the initial 200 OK response has been sent. This
    # means that a 200 OK response can contain either a success or an error" ("Amazon S3 API
    # Reference: CompleteMultipartUpload", https://docs.aws.amazon.com/AmazonS3/latest/API/
    # API_CompleteMultipartUpload.html); the error body is the <Error> document of "Error
    # responses" (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). PutObject
    # is not documented to do so; a lying or broken peer may.
    "put-error-200": "PutObject answers 200 with an <Error> body and stores nothing",
    "complete-error-200": "CompleteMultipartUpload answers 200 with an <Error> body; the upload stays open",
    # Same page: "After Amazon S3 begins processing the request, it sends an HTTP response header
    # that specifies a 200 OK response. While processing is in progress, Amazon S3 periodically
    # sends white space characters to keep the connection from timing out." A connection cut
    # while S3 is still working leaves a 200 whose body is those spaces only; a proxy in front
    # of S3 (or an S3-compatible store) may answer 200 with its own HTML page or a result for
    # another key. None of them means the object is stored; the upload stays open.
    "complete-blank-200": "CompleteMultipartUpload answers 200 with keep-alive spaces only (cut); the upload stays open",
    "complete-html-200": "CompleteMultipartUpload answers 200 with a proxy's HTML page; the upload stays open",
    "complete-other-key-200": "CompleteMultipartUpload answers 200 with a CompleteMultipartUploadResult for another key; the upload stays open",
    # PutObject and UploadPart answer the ETag header on success ("Amazon S3 API Reference:
    # PutObject" / "UploadPart", Response Syntax, https://docs.aws.amazon.com/AmazonS3/latest/API/
    # API_PutObject.html). A 200 without one is a proxy's or a broken store's answer, not S3
    # storing the bytes: this stand-in stores nothing then.
    "put-no-etag-200": "PutObject answers 200 without an ETag header and stores nothing",
    "part-no-etag-200": "UploadPart answers 200 without an ETag header and keeps no part",
    # AssumeRoleWithWebIdentity returns Credentials {AccessKeyId, SecretAccessKey, SessionToken,
    # Expiration} ("AWS STS API Reference: AssumeRoleWithWebIdentity", https://docs.aws.amazon.com/
    # STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html); the token is opaque and of no
    # fixed size, but it is sent back as the x-amz-security-token header, so CR/LF in it would
    # inject a header into every S3 request.
    "sts-crlf-token": "the SessionToken holds a raw CR/LF and an X-Injected header",
    "sts-crlf-entity": "the SessionToken holds &#13;&#10; and an X-Injected header",
    # UploadPart that never answers, so a test can send SIGTERM while it is in flight;
    # AbortMultipartUpload frees the parts of an upload ("Amazon S3 API Reference:
    # AbortMultipartUpload", https://docs.aws.amazon.com/AmazonS3/latest/API/
    # API_AbortMultipartUpload.html: 204 No Content).
    "stall-part": "UploadPart reads the part, then answers nothing until released",
}
ERROR_200 = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
             b'<Message>We encountered an internal error. Please try again.</Message>'
             b'<RequestId>656c76696e6727732072657175657374</RequestId></Error>')


def complete_result(bucket, key):
    """S3's CompleteMultipartUpload success body ("Amazon S3 API Reference:
    CompleteMultipartUpload", Response Syntax): the keep-alive spaces S3 may send first, then
    the result naming the bucket, the key and the object's ETag."""
    esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n   \n'
            '<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Location>https://{esc(bucket)}.s3.amazonaws.com/{esc(key)}</Location>"
            f"<Bucket>{esc(bucket)}</Bucket><Key>{esc(key)}</Key>"
            '<ETag>&quot;3858f62230ac3c915f300c664312c11f-2&quot;</ETag>'
            "</CompleteMultipartUploadResult>").encode()


def sign_at(req, creds, region, service, amz_date):
    """Signs `req` with botocore's SigV4 as of `amz_date` (YYYYMMDD'T'HHMMSS'Z').

    These are the steps of botocore's SigV4Auth.add_auth, minus its reading of the clock (which
    depends on the botocore version: datetime.utcnow() in 1.29, datetime.now(timezone.utc) through
    botocore.utils.get_current_datetime in 1.43): the signature depends on the time stamp the
    request carries, never on when it is computed."""
    signer = (botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth)(
        botocore.credentials.Credentials(*creds), service, region)
    req.context["timestamp"] = amz_date
    signer._modify_request_before_signing(req)
    string_to_sign = signer.string_to_sign(req, signer.canonical_request(req))
    signer._inject_signature_to_request(req, signer.signature(string_to_sign, req))
    return req


def _expected_authorization(method, url, headers, body, creds, region, service):
    """The Authorization header botocore computes for the request as it was signed: at its own
    X-Amz-Date, as S3 verifies it. (Fixing "now" to that date while botocore read the clock some
    other way made a request signed in one second and checked in the next fail at random.)"""
    auth_header = headers["authorization"]
    signed = auth_header.split("SignedHeaders=")[1].split(",")[0].split(";")
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                         headers={h: headers[h] for h in signed if h in headers and h != "host"})
    # The signed headers (payload hash and token among them) are already on the request;
    # botocore re-derives the date, host and (for S3) the payload hash itself.
    sign_at(req, creds, region, service, headers["x-amz-date"])
    return req.headers["Authorization"]


class AwsStandIn(LoopbackServer):
    def __init__(self, port, region="us-east-1", web_token=None, static=None, require_parent=False):
        self.region = region
        self.web_token = web_token
        self.keys = {}  # access key -> (secret, token, kind)
        if static:
            self.keys[static[0]] = (static[1], None, "static")
        self.expired = set()
        self.require_parent = require_parent
        self.objects = {}
        self.uploads = {}
        self.bucket_regions = {}  # bucket -> home region (default: `region`)
        self.wrong_region = "400"  # one of WRONG_REGION_ANSWERS
        self.hidden = set()  # (bucket, key) that listings leave out
        self.foreign_keys = []  # list-foreign-keys: the keys its pages hold
        self.fail_creates = 0  # CreateMultipartUpload requests to answer 500 InternalError
        self.log = []  # (operation, key or "", status)
        self.fail_next_put = False
        self.secrets = {}
        self.pod_identity_token = None
        self.debug = bool(__import__("os").environ.get("KCI_AWS_DEBUG"))
        self.hostile = set()
        self.injected = []  # (method, path) of requests that carried an X-Injected header
        self.part_started = threading.Event()  # stall-part: a part is held
        self.release_part = threading.Event()  # stall-part: let it answer
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", ctype="application/xml", headers=()):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a deadline, a SIGTERM)

            def error(self, status, code, message):
                body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>"
                        f"<Message>{message}</Message></Error>").encode()
                self.reply(status, body)
                return None

            def body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def verify(self, body, service, region=None):
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                auth = hdrs.get("authorization", "")
                if not auth.startswith("AWS4-HMAC-SHA256 Credential="):
                    return self.error(403, "AccessDenied", "Missing SigV4 Authorization")
                key = auth.split("Credential=")[1].split("/")[0]
                if key in standin.expired:
                    return self.error(403, "ExpiredToken", "The provided token has expired.")
                if key not in standin.keys:
                    return self.error(403, "InvalidAccessKeyId",
                                      "The AWS Access Key Id you provided does not exist in our records.")
                secret, token, kind = standin.keys[key]
                try:
                    signed_at = datetime.datetime.strptime(hdrs.get("x-amz-date", ""), AMZ_DATE).replace(
                        tzinfo=datetime.timezone.utc)
                except ValueError:
                    return self.error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
                # The skew rule is S3's, judged against the real clock; the signature itself is
                # checked against the request's own X-Amz-Date below.
                if service == "s3" and abs(datetime.datetime.now(datetime.timezone.utc) - signed_at) > S3_MAX_SKEW:
                    return self.error(403, "RequestTimeTooSkewed",
                                      "The difference between the request time and the current time is too large.")
                if token is not None and hdrs.get("x-amz-security-token") != token:
                    return self.error(403, "InvalidToken", "The provided token is malformed or otherwise invalid.")
                if "x-amz-content-sha256" in hdrs and hdrs["x-amz-content-sha256"] != hashlib.sha256(body).hexdigest():
                    return self.error(400, "XAmzContentSHA256Mismatch",
                                      "The provided 'x-amz-content-sha256' header does not match what was computed.")
                url = f"http://{hdrs['host']}{self.path}"
                want = _expected_authorization(self.command, url, hdrs, body, (key, secret, token),
                                               region or standin.region, service)
                if want != auth:
                    if standin.debug:
                        import sys
                        print("SIGV4 MISMATCH", self.command, url, hdrs, body[:200], "\n want", want, "\n got ", auth, file=sys.stderr)
                    return self.error(403, "SignatureDoesNotMatch",
                                      "The request signature we calculated does not match the signature you provided.")
                return kind

            def sts(self, body):
                form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
                action = form.get("Action", [""])[0]
                if action == "AssumeRoleWithWebIdentity":
                    if form.get("WebIdentityToken", [""])[0] != standin.web_token:
                        return self.error(403, "InvalidIdentityToken", "Incorrect token audience")
                    return self.issue("web", form["RoleArn"][0], action)
                if action == "AssumeRole":
                    kind = self.verify(body, "sts")
                    if kind is None:
                        return None
                    if kind not in ("web", "static"):
                        return self.error(403, "AccessDenied", "not allowed to assume the parent role")
                    return self.issue("parent", form["RoleArn"][0], action)
                return self.error(400, "InvalidAction", f"Could not find operation {action}")

            def issue(self, kind, role, action):
                key = ("ASIAWEB" if kind == "web" else "ASIAPARENT") + secrets.token_hex(6).upper()
                secret, token = secrets.token_urlsafe(30), secrets.token_urlsafe(60)
                if "sts-crlf-token" in standin.hostile:
                    token += "\r\nX-Injected: yes"
                if "sts-crlf-entity" in standin.hostile:
                    token += "&#13;&#10;X-Injected: yes"
                standin.keys[key] = (secret, token, kind)
                standin.log.append((action, role, 200))
                exp = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
                tag = action + "Result"
                xml = (f"<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{tag}>"
                       f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
                       f"<SessionToken>{token}</SessionToken><Expiration>{exp}</Expiration></Credentials>"
                       f"</{tag}></{action}Response>")
                return self.reply(200, xml.encode())

            def wrong_region_answer(self, bucket, signed, home):
                standin.log.append(("WrongRegion", bucket, signed, standin.wrong_region))
                if standin.wrong_region == "301":
                    status, headers = 301, [("x-amz-bucket-region", home)]
                    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code>'
                            f"<Message>The bucket you are attempting to access must be addressed using the "
                            f"specified endpoint. Please send all future requests to this endpoint.</Message>"
                            f"<Endpoint>{bucket}.s3.{home}.amazonaws.com</Endpoint><Bucket>{bucket}</Bucket>"
                            f"<RequestId>0A49CE4060975EAC</RequestId></Error>").encode()
                else:
                    status, headers = 400, []
                    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AuthorizationHeaderMalformed</Code>'
                            f"<Message>The authorization header is malformed; the region '{signed}' is wrong; "
                            f"expecting '{home}'</Message><Region>{home}</Region>"
                            f"<RequestId>0A49CE4060975EAC</RequestId></Error>").encode()
                if self.command == "HEAD":
                    headers = [("x-amz-bucket-region", home)]
                    body = b""
                return self.reply(status, body, headers=headers)

            def s3(self, body):
                url = urllib.parse.urlparse(self.path)
                q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
                parts = urllib.parse.unquote(url.path).lstrip("/").split("/", 1)
                bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
                # The region the request was signed for: its credential scope
                # (Credential=<key>/<date>/<region>/s3/aws4_request).
                auth = self.headers.get("Authorization", "")
                scope = auth.split("Credential=")[1].split(",")[0].split("/") if "Credential=" in auth else []
                signed = scope[2] if len(scope) > 2 else standin.region
                home = standin.bucket_regions.get(bucket, standin.region)
                if signed != home:
                    return self.wrong_region_answer(bucket, signed, home)
                kind = self.verify(body, "s3", home)
                if kind is None:
                    return None
                if standin.require_parent and kind != "parent":
                    return self.error(403, "AccessDenied", "Access Denied")
                condition = self.headers.get("If-None-Match")
                if condition is not None and condition != "*":
                    return self.error(501, "NotImplemented", "A header you provided implies functionality that is not implemented")
                if self.command == "GET" and not key and q.get("list-type") == ["2"]:
                    return self.list(bucket, q)
                if "content-md5" in {h.lower() for h in self.headers.keys()}:
                    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
                    if self.headers["Content-MD5"] != md5:
                        return self.error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
                if self.command == "PUT" and "partNumber" in q:
                    up = standin.uploads.get(q["uploadId"][0])
                    if up is None:
                        return self.error(404, "NoSuchUpload", "The specified upload does not exist.")
                    if "part-no-etag-200" in standin.hostile:
                        standin.log.append(("UploadPart", key, "200-no-etag"))
                        return self.reply(200)
                    etag = '"' + hashlib.md5(body).hexdigest() + '"'
                    if "part-long-reason" in standin.hostile:
                        standin.log.append(("UploadPart", key, 500))
                        self.send_response(500, "R" * 30_000)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return None
                    if "stall-part" in standin.hostile:
                        standin.log.append(("UploadPartStalled", key, 0))
                        standin.part_started.set()
                        standin.release_part.wait(120)
                        if q["uploadId"][0] not in standin.uploads:
                            # Aborted meanwhile: "if any part uploads are currently in progress,
                            # those part uploads might or might not succeed" (AbortMultipartUpload).
                            standin.log.append(("UploadPartAfterAbort", key, 404))
                            return self.error(404, "NoSuchUpload", "The specified upload does not exist.")
                    up[int(q["partNumber"][0])] = (etag, body)
                    standin.log.append(("UploadPart", key, 200))
                    return self.reply(200, headers=[("ETag", etag)])
                if self.command == "PUT":
                    if standin.fail_next_put:
                        standin.fail_next_put = False
                        return self.error(500, "InternalError", "We encountered an internal error.")
                    if "put-error-200" in standin.hostile:
                        standin.log.append(("PutObject", key, "200-error"))
                        return self.reply(200, ERROR_200)
                    if "put-no-etag-200" in standin.hostile:
                        standin.log.append(("PutObject", key, "200-no-etag"))
                        return self.reply(200)
                    if condition == "*" and (bucket, key) in standin.objects:
                        standin.log.append(("PutObject", key, 412))
                        return self.reply(412, PRECONDITION_FAILED)
                    standin.objects[(bucket, key)] = body
                    standin.log.append(("PutObject", key, 200))
                    return self.reply(200, headers=[("ETag", '"' + hashlib.md5(body).hexdigest() + '"')])
                if self.command == "POST" and "uploads" in q:
                    if standin.fail_creates > 0:
                        # A 5xx after S3 may have opened the upload: "InternalError ... 500"
                        # (Error responses); retrying the create would open a second one.
                        standin.fail_creates -= 1
                        standin.log.append(("CreateMultipartUpload", key, 500))
                        return self.error(500, "InternalError", "We encountered an internal error. Please try again.")
                    uid = secrets.token_hex(8)
                    standin.uploads[uid] = {}
                    standin.log.append(("CreateMultipartUpload", key, 200, uid))
                    return self.reply(200, f"<InitiateMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key><UploadId>{uid}</UploadId></InitiateMultipartUploadResult>".encode())
                if self.command == "POST" and "uploadId" in q:
                    if "complete-error-200" in standin.hostile and q["uploadId"][0] in standin.uploads:
                        standin.log.append(("CompleteMultipartUpload", key, "200-error"))
                        return self.reply(200, ERROR_200)
                    bad_200 = {
                        "complete-blank-200": b"  \n  \n  ",
                        "complete-html-200": b"<html><head><title>200 OK</title></head><body>OK</body></html>",
                        "complete-other-key-200": complete_result(bucket, key + ".other"),
                    }
                    for mode, answer in bad_200.items():
                        if mode in standin.hostile and q["uploadId"][0] in standin.uploads:
                            standin.log.append(("CompleteMultipartUpload", key, mode))
                            return self.reply(200, answer)
                    if condition == "*" and (bucket, key) in standin.objects and q["uploadId"][0] in standin.uploads:
                        standin.log.append(("CompleteMultipartUpload", key, 412))
                        return self.reply(412, PRECONDITION_FAILED)
                    up = standin.uploads.pop(q["uploadId"][0], None)
                    if up is None:
                        return self.error(404, "NoSuchUpload", "The specified upload does not exist.")
                    text = body.decode()
                    numbers = [int(x.split("</PartNumber>")[0]) for x in text.split("<PartNumber>")[1:]]
                    etags = [x.split("</ETag>")[0] for x in text.split("<ETag>")[1:]]
                    if any(up[n][0] != e for n, e in zip(numbers, etags)):
                        return self.error(400, "InvalidPart", "One or more of the specified parts could not be found.")
                    standin.objects[(bucket, key)] = b"".join(up[n][1] for n in sorted(numbers))
                    standin.log.append(("CompleteMultipartUpload", key, 200))
                    return self.reply(200, complete_result(bucket, key))
                if self.command == "DELETE" and "uploadId" in q:
                    standin.uploads.pop(q["uploadId"][0], None)
                    standin.log.append(("AbortMultipartUpload", key, 204, q["uploadId"][0]))
                    return self.reply(204)
                return self.error(400, "NotImplemented", "stand-in does not implement this")

            def stream(self, chunks, length=None, pause=0.0):
                """Sends a 200 whose body is `chunks` (chunked unless `length` is given), until
                the client goes away."""
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                if length is None:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(length))
                self.end_headers()
                try:
                    for chunk in chunks:
                        if length is None:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        else:
                            self.wfile.write(chunk)
                        self.wfile.flush()
                        if pause:
                            time.sleep(pause)
                    if length is None:
                        self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def hostile_list(self, prefix):
                if "list-repeat-token" in standin.hostile:
                    standin.log.append(("ListObjectsV2", prefix, 200))
                    xml = (f"<ListBucketResult><Contents><Key>{prefix}junk</Key></Contents>"
                           "<IsTruncated>true</IsTruncated>"
                           "<NextContinuationToken>same-token</NextContinuationToken></ListBucketResult>")
                    return self.reply(200, xml.encode())
                if standin.hostile & {"list-huge", "list-huge-length"}:
                    standin.log.append(("ListObjectsV2", prefix, 200))
                    entry = f"<Contents><Key>{prefix}junk-0000000000</Key></Contents>".encode()
                    chunk = entry * (65536 // len(entry))
                    n = 230_000_000 // len(chunk)
                    chunks = [b"<ListBucketResult>"] + [chunk] * n + [b"<IsTruncated>false</IsTruncated></ListBucketResult>"]
                    length = sum(len(c) for c in chunks) if "list-huge-length" in standin.hostile else None
                    return self.stream(iter(chunks), length)
                if "list-html" in standin.hostile:
                    standin.log.append(("ListObjectsV2", prefix, 200))
                    return self.reply(200, b"<html><head><title>Maintenance</title></head><body>"
                                           b"<h1>Back soon</h1></body></html>", "text/html")
                if "list-cut" in standin.hostile:
                    standin.log.append(("ListObjectsV2", prefix, 200))
                    return self.reply(200, f"<ListBucketResult><Name>b</Name><Contents><Key>{prefix}2024-".encode())
                if "list-header-flood" in standin.hostile:
                    standin.log.append(("ListObjectsV2", prefix, 200))
                    self.send_response(200)
                    line = b"X-Flood: " + b"a" * 4000 + b"\r\n"
                    try:
                        self.flush_headers()  # the status line (and Server, Date), no end of headers
                        for _ in range(1_000_000):  # 4 GB, unless the client hangs up first
                            self.wfile.write(line * 256)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    self.close_connection = True
                    return None
                if standin.hostile & {"list-foreign-keys", "list-other-prefix"}:
                    standin.log.append(("ListObjectsV2", prefix, 200))
                    echoed = prefix if "list-foreign-keys" in standin.hostile else "account_id=999999999999/"
                    xml = (f"<ListBucketResult><Name>b</Name><Prefix>{xml_escape(echoed)}</Prefix>"
                           + "".join(f"<Contents><Key>{xml_escape(k)}</Key></Contents>" for k in standin.foreign_keys)
                           + "<IsTruncated>false</IsTruncated></ListBucketResult>")
                    return self.reply(200, xml.encode())
                if "list-slow-drip" in standin.hostile:
                    standin.log.append(("ListObjectsV2", prefix, 200))
                    return self.stream((b" " for _ in range(600)), 10_000_000, pause=0.2)
                return False

            def list(self, bucket, q):
                prefix = q.get("prefix", [""])[0]
                if self.hostile_list(prefix) is not False:
                    return None
                keys = sorted(k for (b, k) in standin.objects
                              if b == bucket and k.startswith(prefix) and (b, k) not in standin.hidden)
                start = int(q.get("continuation-token", ["0"])[0])
                page = keys[start:start + 2]  # tiny pages: pagination is exercised
                more = start + 2 < len(keys)
                # S3 echoes the request's prefix in <Prefix> (ListObjectsV2 Response Syntax).
                xml = f"<ListBucketResult><Prefix>{xml_escape(prefix)}</Prefix>"
                xml += "".join(f"<Contents><Key>{k}</Key></Contents>" for k in page)
                xml += f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>"
                if more:
                    xml += f"<NextContinuationToken>{start + 2}</NextContinuationToken>"
                if "list-entities" in standin.hostile:
                    xml += f"<Contents><Key>{prefix}{'&amp;' * 2_400_000}</Key></Contents>"
                if "list-inconsistent" in standin.hostile and not more:
                    xml += "<NextContinuationToken>stale</NextContinuationToken>"
                standin.log.append(("ListObjectsV2", prefix, 200))
                return self.reply(200, (xml + "</ListBucketResult>").encode())

            def secrets_manager(self, body):
                kind = self.verify(body, "secretsmanager")
                if kind is None:
                    return None
                secret_id = json.loads(body)["SecretId"]
                if secret_id not in standin.secrets:
                    return self.reply(400, json.dumps({"__type": "ResourceNotFoundException",
                                                       "message": "Secrets Manager can't find the specified secret."}).encode(),
                                      "application/x-amz-json-1.1")
                standin.log.append(("GetSecretValue", secret_id, 200))
                return self.reply(200, json.dumps({"Name": secret_id, "SecretString": standin.secrets[secret_id]}).encode(),
                                  "application/x-amz-json-1.1")

            def pod_identity(self):
                if self.headers.get("Authorization") != standin.pod_identity_token:
                    return self.reply(401, b'{"code":"AccessDeniedException","message":"bad token"}', "application/json")
                key = "ASIAPOD" + secrets.token_hex(6).upper()
                secret, token = secrets.token_urlsafe(30), secrets.token_urlsafe(60)
                standin.keys[key] = (secret, token, "static")
                standin.log.append(("PodIdentity", "", 200))
                exp = (datetime.datetime.utcnow() + datetime.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
                return self.reply(200, json.dumps({"AccessKeyId": key, "SecretAccessKey": secret, "Token": token,
                                                   "AccountId": "111122223333", "Expiration": exp}).encode(),
                                  "application/json")

            def dispatch(self):
                body = self.body()
                if any(k.lower() == "x-injected" for k in self.headers.keys()):
                    standin.injected.append((self.command, self.path))
                if self.command == "GET" and self.path == "/pod-identity/credentials":
                    return self.pod_identity()
                if self.path == "/" and self.command == "POST":
                    if self.headers.get("X-Amz-Target", "").startswith("secretsmanager."):
                        return self.secrets_manager(body)
                    return self.sts(body)
                return self.s3(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = dispatch

        self.serve(port, Handler)


    def ops(self, name):
        return [entry for entry in self.log if entry[0] == name]
