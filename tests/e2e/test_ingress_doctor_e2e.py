#!/usr/bin/env python3
"""End to end: Kubecost behind an ingress, and `allocation-exporter doctor`, with the real binary.

The stand-in Kubecost answers 401 (as ingress-nginx basic auth or a SAML/oauth2-proxy front
does) unless the request carries its session cookie and basic-auth credentials. Proves:
- without credentials every poll fails with reason=http_status (401), never reason=connect;
- kubecostHeadersFile's Cookie and the basic auth from kubecostBasicAuthUsername +
  kubecostBasicAuthPasswordFile reach Kubecost and the series come; a rotated headers file is
  used by the next poll without a restart;
- a user:password@ URL, a bad headers file and a half-configured basic auth exit 2 with one line
  naming the setting (and the file and line), never the secret;
- doctor: ok lines and exit 0 against the ingress with credentials; FAIL and exit 1 for
  Kubecost down, 401 without credentials, an empty tenant id; exit 2 for a config error;
- no cookie, password or header value in any log or output.
The Prometheus checks of doctor run against a real Prometheus in test_pipeline_e2e.py.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Exporter, errors, free_port  # noqa: E402
from kubecost_standin import StandIn  # noqa: E402

COOKIE1, COOKIE2 = "token=saml-session-1f2e3d", "token=saml-session-rotated-9a8b"
USER, PASSWORD = "kubecost-reader", "basic-pw-7c6d5e"
SECRETS = (COOKIE1, COOKIE2, PASSWORD, "saml-session")
TENANT = "tenant-ingress"
FAILURES = []
PASSED = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    (PASSED if ok else FAILURES).append(name)


def clean_env():
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def run(binary, args, env, timeout=60):
    full = clean_env()
    full.update(env)
    return subprocess.run([binary] + args, env=full, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def no_secret(name, text):
    leaked = [s for s in SECRETS if s in text]
    check(name + ": no secret in the output", not leaked, f"leaked {leaked}: {text[-1500:]}")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures/kubecost")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kci-ingress-")
    port = free_port()
    standin = StandIn(args.fixtures, port, ingress_cookie=COOKIE1,
                      ingress_basic=(USER, PASSWORD)).start()
    url = f"http://127.0.0.1:{port}"
    headers = write(os.path.join(tmp, "headers"), f"# the SAML proxy's session\nCookie: {COOKIE1}\n")
    password = write(os.path.join(tmp, "password"), PASSWORD + "\n")
    creds = {"KUBECOST_HEADERS_FILE": headers, "KUBECOST_BASIC_AUTH_USERNAME": USER,
             "KUBECOST_BASIC_AUTH_PASSWORD_FILE": password}
    base = {"KUBECOST_URL": url, "TENANT_ID": TENANT, "SCRAPE_INTERVAL": "10",
            "SCRAPE_JITTER_MAX": "0", "KUBECOST_RETRIES": "0", "WINDOW": "2h"}
    try:
        # 1. No credentials: 401 on every poll, counted as http_status, not connect.
        with Exporter(args.binary, dict(base)) as e:
            e.wait_for(lambda m: errors(m, "http_status") >= 1, "a 401 poll")
            m = e.wait_for(lambda m: True, "metrics")
            check("no credentials: the poll fails with reason=http_status (401)",
                  errors(m, "http_status") >= 1 and errors(m, "connect") == 0, str(m)[:500])
            check("no credentials: the log names HTTP 401", "HTTP 401" in e.logs(), e.logs()[-800:])

        # 2. Cookie + basic auth reach Kubecost; the series come; a rotated cookie is used.
        with Exporter(args.binary, dict(base, **creds)) as e:
            ns = ("cloudtuner_kubecost_namespace_total_cost")
            e.wait_for(lambda m: any(k[0] == ns for k in m), "namespace series behind the ingress")
            seen = standin.headers_seen[-1]
            check("credentials: the Cookie header reached Kubecost", seen.get("Cookie") == COOKIE1,
                  str(seen.get("Cookie")))
            check("credentials: basic auth reached Kubecost",
                  seen.get("Authorization", "").startswith("Basic "), str(seen))
            polls = len(standin.headers_seen)
            standin.ingress_cookie = COOKIE2
            write(headers, f"Cookie: {COOKIE2}\n")
            e.wait_for(lambda m: len(standin.headers_seen) > polls + 1, "two more polls", timeout=40)
            check("rotation: the next poll sends the rewritten headers file",
                  standin.headers_seen[-1].get("Cookie") == COOKIE2,
                  str(standin.headers_seen[-1].get("Cookie")))
            no_secret("serve with credentials", e.logs())
        write(headers, f"Cookie: {COOKIE1}\n")
        standin.ingress_cookie = COOKIE1

        # 3. Refused at load: exit 2, one line, no secret.
        def refused(name, env, want):
            p = run(args.binary, ["check-config"], env)
            check(name, p.returncode == 2 and p.stdout == "" and
                  p.stderr == "allocation-exporter: " + want + "\n",
                  f"exit {p.returncode} stderr {p.stderr!r} want {want!r}")
            no_secret(name, p.stdout + p.stderr)
        refused("user:password@ URL refused, pointing at the basic-auth settings",
                {"KUBECOST_URL": f"http://{USER}:{PASSWORD}@127.0.0.1:{port}"},
                f'kubecostUrl: invalid value "http://REDACTED@127.0.0.1:{port}": credentials in '
                "the URL are not sent; put the user name in kubecostBasicAuthUsername and the "
                "password in the file kubecostBasicAuthPasswordFile")
        bad = write(os.path.join(tmp, "bad-headers"), f"Cookie: {COOKIE1}\nX Bad: {COOKIE2}\n")
        refused("a header name that is not a token names file and line",
                {"KUBECOST_HEADERS_FILE": bad},
                f'kubecostHeadersFile: "{bad}" line 2: the header name is not an RFC 7230 token')
        crlf = write(os.path.join(tmp, "crlf-headers"), f"Cookie: {COOKIE1}\r\n")
        refused("a CR in a header value is refused", {"KUBECOST_HEADERS_FILE": crlf},
                f'kubecostHeadersFile: "{crlf}" line 1: holds a CR (use LF line ends)')
        host = write(os.path.join(tmp, "host-headers"), "Host: evil.example\n")
        refused("a Host override is refused", {"KUBECOST_HEADERS_FILE": host},
                f'kubecostHeadersFile: "{host}" line 1: "Host" is set by the exporter and cannot '
                "be overridden")
        refused("basic auth needs both settings", {"KUBECOST_BASIC_AUTH_USERNAME": USER},
                "kubecostBasicAuthUsername and kubecostBasicAuthPasswordFile: set both or neither")
        p = run(args.binary, ["serve", "--web.listen-address", f"127.0.0.1:{free_port()}"],
                {"KUBECOST_URL": f"http://u:{PASSWORD}@127.0.0.1:{port}"}, timeout=20)
        check("serve refuses a user:password@ URL at start-up with exit 2", p.returncode == 2,
              f"exit {p.returncode}: {p.stderr[:300]}")

        # 4. doctor.
        p = run(args.binary, ["doctor"], dict(base, **creds))
        lines = p.stdout.splitlines()
        # The stand-in's allocations end in 2024 (the fixtures' own start/end): years-old data is a
        # WARN line, which does not fail the run.
        check("doctor behind the ingress: exit 0, kubecost summarised (old data: WARN), tenant ok, "
              "prometheus skipped",
              p.returncode == 0 and len(lines) == 3 and
              lines[0].startswith("WARN kubecost: kubecost flavour, 6 namespaces, idle present, "
                                  "1 cluster (cluster-one), window 2024-01-01T00:00:00Z.."
                                  "2024-01-01T02:00:00Z, data ") and
              lines[0].endswith(" old (Kubecost's ETL is behind?)") and
              lines[1] == f'ok   tenant id: "{TENANT}"' and
              lines[2] == "skip prometheus: no --prometheus.url given",
              f"exit {p.returncode} stdout {p.stdout!r} stderr {p.stderr[-500:]!r}")
        no_secret("doctor behind the ingress", p.stdout + p.stderr)
        p = run(args.binary, ["doctor", "--kubecost.flavor", "auto"], dict(base, **creds))
        check("doctor with flavour auto reports the detected flavour",
              p.returncode == 0 and p.stdout.startswith("WARN kubecost: kubecost flavour"),
              p.stdout + p.stderr[-300:])
        p = run(args.binary, ["doctor"], dict(base))
        check("doctor without credentials: FAIL kubecost (401, pointing at the ingress settings), exit 1",
              p.returncode == 1 and p.stdout.splitlines()[0].startswith(
                  f"FAIL kubecost: {url}: reason=http_status: HTTP 401") and
              "kubecostHeadersFile" in p.stdout.splitlines()[0], p.stdout + p.stderr[-300:])
        closed = free_port()
        p = run(args.binary, ["doctor"], dict(base, KUBECOST_URL=f"http://127.0.0.1:{closed}"))
        check("doctor with Kubecost down: FAIL kubecost reason=connect, exit 1",
              p.returncode == 1 and p.stdout.splitlines()[0].startswith(
                  f"FAIL kubecost: http://127.0.0.1:{closed}: reason=connect"),
              p.stdout + p.stderr[-300:])
        env = dict(base, **creds)
        env.pop("TENANT_ID")
        p = run(args.binary, ["doctor"], env)
        check("doctor with no tenant id: FAIL tenant id, exit 1",
              p.returncode == 1 and p.stdout.splitlines()[0].startswith("WARN kubecost: kubecost flavour") and
              p.stdout.splitlines()[1].startswith("FAIL tenant id: not set (set TENANT_ID"),
              p.stdout + p.stderr[-300:])
        p = run(args.binary, ["doctor", "--prometheus.url", "not-a-url"], dict(base))
        check("doctor with a bad flag value: exit 2, one line",
              p.returncode == 2 and p.stdout == "" and p.stderr.startswith(
                  'allocation-exporter: doctorPrometheusUrl: invalid value "not-a-url"'),
              f"exit {p.returncode} {p.stderr!r}")
        p = run(args.binary, ["doctor", "--prometheus.url", f"http://127.0.0.1:{closed}"],
                dict(base, **creds))
        out = p.stdout.splitlines()
        check("doctor with Prometheus unreachable: FAIL on each Prometheus check, exit 1",
              p.returncode == 1 and len(out) == 6 and
              all(line.startswith(("FAIL prometheus", "FAIL remote_write tenant"))
                  for line in out[2:]), p.stdout)
    finally:
        standin.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"ingress + doctor e2e: {len(PASSED)} passed, {len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
