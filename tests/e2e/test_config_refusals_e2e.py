#!/usr/bin/env python3
"""End to end: the real binary refuses bad configuration with exit 2 and one line on stderr.

Runs `allocation-exporter check-config` (and `serve` where start-up matters) against a directory,
a device, an oversized file, duplicate keys, a second YAML document, values that would break
the exposition or the Parquet schema, and web configs with a bad bcrypt cost, mismatched or
encrypted TLS keys. Each must exit 2, print nothing on stdout, and exactly
"allocation-exporter: <error>\\n" on stderr; a good config must still exit 0. The encrypted-key
case runs under a pseudo-terminal: an exporter that let OpenSSL ask for a passphrase would
block there instead of exiting.
"""
import argparse
import os
import pty
import select
import subprocess
import sys
import tempfile
import time

FAILURES = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        FAILURES.append(name)


def run(binary, args, env=None, timeout=20):
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full_env.update(env or {})
    return subprocess.run([binary] + args, env=full_env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def refused(binary, name, args, message, env=None):
    try:
        p = run(binary, args, env)
    except subprocess.TimeoutExpired:
        check(name, False, "did not exit within 20 s")
        return
    want = "allocation-exporter: " + message + "\n"
    check(name, p.returncode == 2 and p.stdout == "" and p.stderr == want,
          f"exit {p.returncode}, stdout {p.stdout[:200]!r}, stderr {p.stderr[:400]!r}, "
          f"wanted exit 2 and stderr {want!r}")


def run_in_pty(binary, args, timeout):
    """(exit code or None on timeout, output) for the binary on a controlling terminal."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(binary, [binary] + args, {"PATH": "/usr/bin:/bin"})
    out, deadline = b"", time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            out += chunk
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    os.close(fd)
    return status, out.decode(errors="replace")


def serve_verdict(binary, web_config, log_dir, timeout=15):
    """What `serve` makes of a web config: ("refused", exit code, stderr) when it exits, or
    ("serving", None, "") once it logs that it listens (then it is stopped)."""
    name = os.path.basename(web_config)
    out_path, err_path = os.path.join(log_dir, name + ".out"), os.path.join(log_dir, name + ".err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen([binary, "serve", "--demo", "--web.listen-address", "127.0.0.1:0",
                                 "--web.config.file", web_config],
                                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                     "LOG_FORMAT": "logfmt"},
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    # serve logs its start-up to stderr first; the refusal is main's line.
                    with open(err_path) as f:
                        lines = [l for l in f.read().splitlines(True)
                                 if l.startswith("allocation-exporter: ")]
                    return ("refused", proc.returncode, "".join(lines))
                with open(out_path) as f1, open(err_path) as f2:
                    if 'msg=listening' in f1.read() + f2.read():
                        return ("serving", None, "")
                time.sleep(0.05)
            return ("no verdict", None, f"neither exited nor listened within {timeout} s")
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def check_config_verdict(binary, web_config):
    p = run(binary, ["check-config", "--web.config.file", web_config])
    if p.returncode == 0:
        return ("serving", None, "")
    return ("refused", p.returncode, p.stderr)


def same_verdict_for_every_fixture(binary, web_dir, log_dir):
    """issue 21 item C: check-config runs exactly serve's validation. Every web config fixture
    gets the same verdict from both (accepted and serving, or exit 2 with the same line), and
    that verdict is the fixture's: *.good.yaml serves, *.bad.yaml is refused with its
    `# expect:` line ({dir} is the fixture directory)."""
    names = sorted(n for n in os.listdir(web_dir) if n.endswith(".yaml"))
    for name in names:
        path = os.path.join(web_dir, name)
        cc = check_config_verdict(binary, path)
        sv = serve_verdict(binary, path, log_dir)
        if name.endswith(".good.yaml"):
            want = ("serving", None, "")
        else:
            with open(path) as f:
                first = f.readline()
            expected = first[len("# expect: "):].rstrip("\n").replace("{dir}", web_dir)
            want = ("refused", 2, "allocation-exporter: " + expected + "\n")
        check(f"web config {name}: check-config and serve agree", cc == sv,
              f"check-config {cc!r}, serve {sv!r}")
        check(f"web config {name}: the verdict is the fixture's", cc == want and sv == want,
              f"check-config {cc!r}, serve {sv!r}, wanted {want!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True, help="tests/fixtures")
    a = ap.parse_args()
    a.fixtures = os.path.abspath(a.fixtures)
    b, web = os.path.abspath(a.binary), os.path.join(a.fixtures, "web_config")
    tls = os.path.join(a.fixtures, "tls")

    with tempfile.TemporaryDirectory(prefix="kci-config-e2e-") as tmp:
        def file(name, text):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        # --config.file: what the path points at.
        refused(b, "config.file is a directory", ["check-config", "--config.file", tmp],
                f'config.file: "{tmp}" is not a regular file')
        refused(b, "config.file is /dev/zero", ["check-config", "--config.file", "/dev/zero"],
                'config.file: "/dev/zero" is not a regular file')
        big = file("big.yaml", "window: 1h\n" + "#" * (1 << 20))
        refused(b, "config.file over 1 MiB", ["check-config", "--config.file", big],
                f'config.file: "{big}" is larger than 1 MiB')
        fifo = os.path.join(tmp, "fifo.yaml")
        os.mkfifo(fifo)
        refused(b, "config.file is a FIFO (no writer: must not block)",
                ["check-config", "--config.file", fifo],
                f'config.file: "{fifo}" is not a regular file')
        missing = os.path.join(tmp, "missing.yaml")
        refused(b, "config.file missing", ["check-config", "--config.file", missing],
                f'config.file: cannot read "{missing}": No such file or directory')

        # --config.file: strict YAML.
        dup = file("dup.yaml", "scrapeInterval: 60s\nwindow: 2h\nscrapeInterval: 90s\n")
        refused(b, "duplicate key", ["check-config", "--config.file", dup],
                f"scrapeInterval: duplicate key in {dup} (lines 1 and 3)")
        docs = file("docs.yaml", "window: 2h\n---\nwindow: 3h\n")
        refused(b, "two YAML documents", ["check-config", "--config.file", docs],
                f'config.file: "{docs}" holds more than one YAML document')

        # Values that would make Prometheus reject the scrape, or Athena the table.
        refused(b, "currency with a newline", ["check-config"],
                'currency: invalid value "USD\\n# HELP x": expected an ISO 4217 code such as USD',
                env={"CURRENCY": "USD\n# HELP x"})
        refused(b, "currency with a blank", ["check-config", "--currency", "US D"],
                'currency: invalid value "US D": expected an ISO 4217 code such as USD')
        refused(b, "label keys that sanitise alike", ["check-config"],
                'labelKeys: "app.kubernetes.io/name" and "app_kubernetes_io/name" both become the '
                "label label_app_kubernetes_io_name; Prometheus rejects a scrape that repeats a "
                "label name",
                env={"LABEL_KEYS": "team,app.kubernetes.io/name,app_kubernetes_io/name"})
        refused(b, "repeated label key", ["check-config", "--label-keys", "team,team"],
                'labelKeys: "team" is listed twice')
        refused(b, "s3 labels equal but for case", ["check-config"],
                'labels: "Team" and "team" differ only in case: Athena, which lower-cases column '
                "names, would see one column", env={"LABELS": "Team,team"})
        # issue 13 item 10: duplicate LABELS/ANNOTATIONS keys, or keys that sanitise alike,
        # would repeat a Parquet column; a cluster name with '/' would add a key segment.
        refused(b, "s3 labels listed twice", ["check-config"],
                'labels: "app" is listed twice', env={"LABELS": "app, team, app"})
        refused(b, "s3 annotations that sanitise alike", ["check-config"],
                'annotations: "a.b" and "a/b" both read Kubecost\'s a_b (Kubecost sanitises '
                "keys), so their columns would hold the same values",
                env={"ANNOTATIONS": "a.b, a/b"})
        refused(b, "cluster name with a slash", ["check-config"],
                'clusterId: invalid value "arn:aws:eks:us-east-1:111122223333:cluster/team/prod": '
                'the cluster name "team/prod" is not an EKS cluster name (1-100 of A-Z a-z 0-9 - '
                "_, starting with a letter or digit; no '/'): it names the S3 object",
                env={"CLUSTER_ID": "arn:aws:eks:us-east-1:111122223333:cluster/team/prod"})
        # The ARN's region names a key segment and hosts; the CA secret's region a host
        # (config/cluster_arn.hpp); BACKFILL_PERIOD_DAYS is read like Python's int()
        # (config/value_parsers.hpp).
        refused(b, "cluster region with a slash", ["check-config"],
                'clusterId: invalid value "arn:aws:eks:us-east-1/../x:111122223333:cluster/c": '
                'the region "us-east-1/../x" is not an AWS region code (like us-east-1: two '
                "letters, an optional -gov, -<name>-<number>)",
                env={"CLUSTER_ID": "arn:aws:eks:us-east-1/../x:111122223333:cluster/c"})
        refused(b, "CA secret region with a dot", ["check-config"],
                'caCertificateSecretRegion: invalid value "evil.example": not an AWS region code '
                "(like us-east-1: two letters, an optional -gov, -<name>-<number>)",
                env={"KUBECOST_CA_CERTIFICATE_SECRET_REGION": "evil.example"})
        refused(b, "back-fill days with a double underscore", ["check-config"],
                'backfillPeriodDays: invalid value "1__5": expected a whole number',
                env={"BACKFILL_PERIOD_DAYS": "1__5"})
        p = run(b, ["check-config"], env={"BACKFILL_PERIOD_DAYS": " 1_5 ",
                                          "CLUSTER_ID": "arn:aws-cn:eks:cn-north-1:111122223333:cluster/c"})
        check("Python int() spellings and an aws-cn ARN pass check-config (' 1_5 ', cn-north-1)",
              p.returncode == 0 and p.stderr == "", f"exit {p.returncode}, stderr {p.stderr[:400]!r}")
        # issue 13 item 6: timeouts are read like Python's float(); nan, inf and <= 0 refused.
        refused(b, "timeout nan", ["check-config"],
                'connectionTimeout: invalid value "nan": must be a finite number of seconds',
                env={"CONNECTION_TIMEOUT": "nan"})
        refused(b, "read timeout negative", ["check-config"],
                'allocationApiReadTimeout: invalid value "-5": must be more than zero seconds',
                env={"KUBECOST_ALLOCATION_API_READ_TIMEOUT": "-5"})
        p = run(b, ["check-config"], env={"CONNECTION_TIMEOUT": "10.5",
                                          "KUBECOST_ALLOCATION_API_READ_TIMEOUT": "60.0",
                                          "TLS_VERIFY": "Y", "KUBECOST_ALLOCATION_API_PAGINATE": "False"})
        check("AWS exporter spellings pass check-config (10.5, 60.0, Y, False)",
              p.returncode == 0 and p.stderr == "", f"exit {p.returncode}, stderr {p.stderr[:400]!r}")

        # --web.config.file.
        refused(b, "web.config.file is a directory", ["check-config", "--web.config.file", tmp],
                f'web.config.file: "{tmp}" is not a regular file')
        refused(b, "web.config.file is /dev/zero",
                ["check-config", "--web.config.file", "/dev/zero"],
                'web.config.file: "/dev/zero" is not a regular file')
        refused(b, "bcrypt cost 13", ["check-config", "--web.config.file",
                                      os.path.join(web, "bcrypt_cost_13.bad.yaml")],
                "web.config.file: basic_auth_users.prometheus: bcrypt cost 13 is above 12: each "
                "password check would take over 250 ms of CPU; hash it again with cost 10 to 12")
        refused(b, "bcrypt cost 03", ["check-config", "--web.config.file",
                                      os.path.join(web, "bcrypt_cost_03.bad.yaml")],
                'web.config.file: basic_auth_users.prometheus: not a bcrypt hash: cost "03" is '
                "outside 04-31")
        refused(b, "duplicate user", ["check-config", "--web.config.file",
                                      os.path.join(web, "duplicate_user.bad.yaml")],
                "web.config.file: basic_auth_users.prometheus: duplicate key (lines 3 and 4)")
        mismatch = file("mismatch.yaml", f"tls_server_config:\n  cert_file: {tls}/server.crt\n"
                                         f"  key_file: {tls}/client.key\n")
        refused(b, "TLS key does not match the certificate (check-config)",
                ["check-config", "--web.config.file", mismatch],
                f'web.config.file: tls_server_config.key_file: "{tls}/client.key" does not match '
                f'the certificate in "{tls}/server.crt"')
        swapped = file("swapped.yaml", f"tls_server_config:\n  cert_file: {tls}/server.key\n"
                                       f"  key_file: {tls}/server.crt\n")
        refused(b, "TLS cert and key swapped (check-config)",
                ["check-config", "--web.config.file", swapped],
                f'web.config.file: tls_server_config.cert_file: "{tls}/server.key" holds no PEM '
                "certificate")

        # Start-up (serve) refuses the same, before binding; an encrypted key must not prompt.
        encrypted = file("encrypted.yaml", f"tls_server_config:\n  cert_file: {tls}/server.crt\n"
                                           f"  key_file: {tls}/server.encrypted.key\n")
        status, out = run_in_pty(b, ["--demo", "--web.listen-address", "127.0.0.1:0",
                                     "--web.config.file", encrypted], timeout=15)
        want = (f'web.config.file: tls_server_config.key_file: "{tls}/server.encrypted.key" '
                "holds no unencrypted PEM private key")
        check("serve with an encrypted TLS key exits 2 on a terminal, without a passphrase prompt",
              status == 2 and want in out and "pass phrase" not in out.lower(),
              f"exit {status}, output {out[-400:]!r}")

        same_verdict_for_every_fixture(b, web, tmp)

        # And a good configuration still passes.
        example = os.path.join(os.path.dirname(a.fixtures), "..", "config",
                               "allocation-exporter.example.yaml")
        p = run(b, ["check-config", "--config.file", example, "--web.config.file",
                    os.path.join(web, "mtls_and_auth.good.yaml")])
        check("good config and web config pass check-config",
              p.returncode == 0 and "currency = USD  (file)" in p.stdout and p.stderr == "",
              f"exit {p.returncode}, stderr {p.stderr[:400]!r}")

    print(f"{'FAILED: ' + ', '.join(FAILURES) if FAILURES else 'all passed'}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
