#!/usr/bin/env python3
"""End to end: two real allocation-exporter replicas elect a leader through a Lease on a stand-in
Kubernetes API server (kube_api_standin.py, reached through a kubeconfig with a bearer token),
against one stand-in Kubecost.

Proves (issue 15): exactly one replica polls Kubecost and publishes cost series, the other
health series only, with cloudtuner_kubecost_exporter_leader 1/0, /readyz 200 on both and the
leader named on `/`; a real Prometheus scraping both stores the single-replica totals and
Kubecost gets one request per interval, not two; a 409 Conflict from another writer does not
cost the leader its Lease; kill -9 of the leader: the other publishes within leaseDuration + one
poll; SIGTERM of the leader (the Lease is released): takeover within two retry periods + one
poll; API server down: the leader withdraws its cost series after renewDeadline and both keep
serving health; API server back: a leader again. Every wait is bounded.

Then (issue 21, "election by client-go's clock"), with each replica on its own token so the
stand-in can tell them apart, sampling both replicas' /metrics every 50 ms and asserting that
never both publish cost series at once: the follower's GET held by the API server and the leader
cut off right when it returns (the follower must wait a whole leaseDuration from the answer, by
which time the leader has stepped down at its renewDeadline); an API server that fails every
other request (500); one that answers every request just before the renew deadline; and
SIGTERM while the API server holds every request: exit 0 within 5 s.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Exporter, free_port, http_get, parse_metrics, value  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from kube_api_standin import KubeApiStandIn  # noqa: E402
from kubecost_standin import StandIn  # noqa: E402

NS, LEASE = "kubecost", "kubecost-allocation-exporter"
TOKEN = "sa-token-for-e2e"
LEASE_S, RENEW_S, RETRY_S = 3.0, 2.0, 0.5
INTERVAL_S = 10.0  # scrapeInterval's minimum
POLL_S = 2.0  # the bound on one poll of the stand-in (it answers in milliseconds)
COST = "cloudtuner_kubecost_namespace_total_cost"
LEADER = "cloudtuner_kubecost_exporter_leader"


def wait(predicate, what, timeout, step=0.1):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, AssertionError) as e:
            last = e
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what} (last: {last!r})")


def state(exporter):
    """(leader gauge, number of cost series, sum of namespace totals) of one replica."""
    m = parse_metrics(exporter.metrics())
    costs = {k: v for k, v in m.items() if k[0] == COST}
    return value(m, LEADER), len(costs), sum(costs.values())


def publishes_costs(exporter):
    leader, n, _ = state(exporter)
    return leader == 1 and n > 0


def health_only(exporter):
    leader, n, _ = state(exporter)
    m = parse_metrics(exporter.metrics())
    return leader == 0 and n == 0 and value(m, "cloudtuner_kubecost_exporter_series_count") == 0


def write_kubeconfig(path, api_port, token=TOKEN):
    # The shape `kubectl config view --raw` writes (clientcmd v1 Config).
    with open(path, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
current-context: e2e
contexts:
- name: e2e
  context: {{cluster: standin, user: exporter, namespace: {NS}}}
clusters:
- name: standin
  cluster:
    server: http://127.0.0.1:{api_port}
users:
- name: exporter
  user:
    tokenFile: token
""")
    with open(os.path.join(os.path.dirname(path), "token"), "w") as f:
        f.write(token + "\n")


def start(binary, name, kubecost_port, kubeconfig, tmp, lease_s=LEASE_S, renew_s=RENEW_S,
          retry_s=RETRY_S):
    env = {"KUBECOST_URL": f"http://127.0.0.1:{kubecost_port}", "TENANT_ID": "tenant-ha",
           "CLUSTER_NAME": "ha", "SCRAPE_INTERVAL": f"{int(INTERVAL_S)}s", "SCRAPE_JITTER_MAX": "0",
           "KUBECOST_RETRIES": "0", "LEADER_ELECTION": "true", "POD_NAME": name,
           "LEADER_ELECTION_LEASE_DURATION": f"{int(lease_s)}s",
           "LEADER_ELECTION_RENEW_DEADLINE": f"{int(renew_s * 1000)}ms",
           "LEADER_ELECTION_RETRY_PERIOD": f"{int(retry_s * 1000)}ms", "LOG_LEVEL": "info"}
    return Exporter(binary, env, args=("--kubeconfig", kubeconfig),
                    log_path=os.path.join(tmp, f"exporter-{name}-{time.time():.0f}.log"))


def query(base, promql):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)["data"]["result"]


# The clock scenarios: leaseDuration 5s, renewDeadline 4s (a follower's GET may take that long),
# retryPeriod 0.5s; the follower's GET is held 3.6s.
C_LEASE_S, C_RENEW_S, C_RETRY_S, C_HOLD_S = 5.0, 4.0, 0.5, 3.6


def cost_series(exporter):
    """The number of cost samples (cloudtuner_kubecost_* but not the exporter's own) served."""
    n = 0
    for family in text_string_to_metric_families(exporter.metrics()):
        if family.name.startswith("cloudtuner_kubecost_") and \
                not family.name.startswith("cloudtuner_kubecost_exporter_"):
            n += len(family.samples)
    return n


def sample_publishers(replicas, seconds, until=None, every=0.05):
    """Samples every replica's /metrics for at most `seconds` (or until until() holds); returns
    (the samples where more than one replica published cost series, the number of samples)."""
    both, samples = [], 0
    t0 = time.time()
    while time.time() - t0 < seconds:
        publishing = [n for n, e in replicas.items() if cost_series(e) > 0]
        samples += 1
        if len(publishing) > 1:
            both.append((round(time.time() - t0, 2), publishing))
        if until is not None and until():
            break
        time.sleep(every)
    return both, samples


def clock_scenarios(args, tmp):
    api_port, kubecost_port = free_port(), free_port()
    tokens = {"token-of-c": "c", "token-of-d": "d"}
    kubeconfigs = {}
    for token, name in tokens.items():
        os.makedirs(os.path.join(tmp, name), exist_ok=True)
        kubeconfigs[name] = os.path.join(tmp, name, "kubeconfig")
        write_kubeconfig(kubeconfigs[name], api_port, token)
    api = KubeApiStandIn(api_port, tokens).start()
    kubecost = StandIn(args.fixtures, kubecost_port).start()
    replicas = {}
    failures = []
    try:
        def launch(name):
            replicas[name] = start(args.binary, name, kubecost_port, kubeconfigs[name], tmp,
                                   C_LEASE_S, C_RENEW_S, C_RETRY_S)
        for name in ("c", "d"):
            launch(name)

        def roles():
            pub = [n for n, e in replicas.items() if cost_series(e) > 0]
            holder = (api.lease(NS, LEASE) or {}).get("spec", {}).get("holderIdentity")
            if len(pub) == 1 and pub[0] == holder:
                return pub[0], [n for n in replicas if n != pub[0]][0]
            return None
        leader, follower = wait(roles, "one publisher holding the Lease", 15)

        # --- the follower's GET held, the leader cut off when it returns -----------------------
        cut_at = []
        api.hold_next_get(follower, C_HOLD_S,
                          then=lambda: (api.cut(leader), cut_at.append(time.time())))
        both, samples = sample_publishers(
            replicas, C_HOLD_S + C_LEASE_S + 6,
            until=lambda: cut_at and cost_series(replicas[follower]) > 0
            and cost_series(replicas[leader]) == 0)
        assert cut_at, "the follower's GET never came"
        took_over = cost_series(replicas[follower]) > 0
        print(f"late GET: {follower} published {time.time() - cut_at[0]:.2f}s after the cut; "
              f"{samples} samples; both publishing in {len(both)}: {both[:5]}")
        if both:
            failures.append(f"late GET: both replicas published cost series: {both[:5]}")
        assert took_over, "the follower never took over"
        api.uncut(leader)
        leader, follower = follower, leader
        wait(lambda: cost_series(replicas[follower]) == 0 and roles(), "settled", 10)

        # --- an API server failing every other request ------------------------------------------
        api.flap = True
        both, samples = sample_publishers(replicas, 6)
        api.flap = False
        print(f"flapping API: {api.counts['500']} answers 500; {samples} samples; "
              f"both publishing in {len(both)}")
        if both:
            failures.append(f"flapping API: both replicas published cost series: {both[:5]}")

        # --- every answer just before the renew deadline ----------------------------------------
        api.delay_s = C_RENEW_S - 0.3
        both, samples = sample_publishers(replicas, 8)
        api.delay_s = 0.0
        print(f"slow API: {samples} samples; both publishing in {len(both)}")
        if both:
            failures.append(f"slow API: both replicas published cost series: {both[:5]}")
        leader, follower = wait(roles, "one publisher again", C_LEASE_S + 5)

        # --- SIGTERM while the API server holds every request: exit 0 within 5 s ---------------
        held_before = api.counts["held"]
        api.hold_all = True
        wait(lambda: api.counts["held"] > held_before, "a request held", 3, 0.02)
        t0 = time.time()
        for e in replicas.values():
            e.proc.send_signal(signal.SIGTERM)
        for name, e in replicas.items():
            try:
                code = e.proc.wait(timeout=max(0.1, t0 + 5 - time.time()))
                print(f"SIGTERM with every request held: {name} exited {code} after "
                      f"{time.time() - t0:.2f}s")
                if code != 0:
                    failures.append(f"SIGTERM: {name} exited {code}")
            except subprocess.TimeoutExpired:
                failures.append(f"SIGTERM: {name} still running 5 s after the signal "
                                f"(leader was {leader})")
        api.hold_all = False
        if failures:
            for f in failures:
                print("FAIL:", f)
            for name, e in replicas.items():
                print(f"--- {name} log tail ---\n" + e.logs()[-2500:])
            return 1
        print("OK (clock scenarios)")
        return 0
    finally:
        api.hold_all = False
        for e in replicas.values():
            e.__exit__(None, None, None)
        kubecost.stop()
        api.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--only-clock", action="store_true",
                    help="run only the issue-21 clock scenarios")
    args = ap.parse_args()
    if args.only_clock:
        tmp = tempfile.mkdtemp(prefix="kci-ha-clock-e2e-")
        try:
            return clock_scenarios(args, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if shutil.which("prometheus") is None:
        print("prometheus not installed", file=sys.stderr)
        return 1

    tmp = tempfile.mkdtemp(prefix="kci-ha-e2e-")
    api_port, kubecost_port, prom_port = free_port(), free_port(), free_port()
    kubeconfig = os.path.join(tmp, "kubeconfig")
    write_kubeconfig(kubeconfig, api_port)
    api = KubeApiStandIn(api_port, TOKEN).start()
    kubecost = StandIn(args.fixtures, kubecost_port).start()
    replicas = {}
    prom = None
    try:
        # The stand-in refuses a request without the token, as the API server does.
        status, _, _ = http_get(f"http://127.0.0.1:{api_port}/apis/coordination.k8s.io/v1/"
                                f"namespaces/{NS}/leases/{LEASE}")
        assert status == 401, status

        # A kubeconfig with a bad field, and durations against client-go's rule: exit 2, one line.
        bad = os.path.join(tmp, "bad-kubeconfig")
        with open(kubeconfig) as f:
            open(bad, "w").write(f.read().replace("server: http://", "server: ftp://"))
        for extra_env, flags, needle in (
                ({}, ["--kubeconfig", bad], "clusters[name=standin].cluster.server: invalid value"),
                ({"LEADER_ELECTION_RETRY_PERIOD": "9s"}, ["--kubeconfig", kubeconfig],
                 "leaderElection.renewDeadline: invalid value")):
            r = subprocess.run([args.binary, "serve", "--web.listen-address", "127.0.0.1:0", *flags],
                               env={"PATH": os.environ.get("PATH", ""), "LEADER_ELECTION": "true",
                                    **extra_env},
                               capture_output=True, text=True, timeout=10)
            assert r.returncode == 2 and needle in r.stderr and r.stderr.count("\n") == 1, r

        for name in ("a", "b"):
            replicas[name] = start(args.binary, name, kubecost_port, kubeconfig, tmp)

        # --- exactly one leader; the follower publishes health only --------------------------
        def one_leader():
            states = {n: state(e) for n, e in replicas.items()}
            leaders = [n for n, s in states.items() if s[0] == 1 and s[1] > 0]
            followers = [n for n, s in states.items() if s[0] == 0 and s[1] == 0]
            return leaders[0] if len(leaders) == 1 and len(followers) == 1 else None
        leader = wait(one_leader, "one leader with cost series, one health-only follower", 15)
        follower = "b" if leader == "a" else "a"
        lease = api.lease(NS, LEASE)
        assert lease["spec"]["holderIdentity"] == leader, lease
        assert lease["spec"]["leaseDurationSeconds"] == int(LEASE_S), lease
        assert api.counts["POST"] >= 1 and api.counts["401"] == 1, api.counts
        for e in replicas.values():
            assert http_get(e.base + "/readyz")[0] == 200
            assert http_get(e.base + "/healthz")[0] == 200
        # A follower whose first create lost the race (409 AlreadyExists) learns the holder at
        # its next attempt, one retry period later.
        wait(lambda: (lambda page: f"Leader: <b>{leader}</b>" in page and "follows" in page)(
            http_get(replicas[follower].base + "/")[2].decode()),
            "the follower's landing page naming the leader", 2 * RETRY_S + 1)
        assert "leads" in http_get(replicas[leader].base + "/")[2].decode()
        _, leader_series, leader_sum = state(replicas[leader])
        print(f"leader {leader}: {leader_series} namespace series, total {leader_sum:.6f}")

        # --- a real Prometheus scraping both replicas; Kubecost load --------------------------
        requests_at_start, t_start = len(kubecost.requests), time.time()
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: kubecost-allocation-exporter
    static_configs:
      - targets: ["127.0.0.1:{replicas['a'].port}", "127.0.0.1:{replicas['b'].port}"]
""")
        prom_log = open(os.path.join(tmp, "prometheus.log"), "wb")
        prom = subprocess.Popen(["prometheus", f"--config.file={tmp}/prometheus.yml",
                                 f"--storage.tsdb.path={tmp}/prom",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdout=prom_log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{prom_port}"
        wait(lambda: http_get(base + "/-/ready")[0] == 200, "prometheus ready", 30, 0.5)
        wait(lambda: len(query(base, 'up{job="kubecost-allocation-exporter"} == 1')) == 2,
             "prometheus scraping both replicas", 30, 0.5)
        got = wait(lambda: query(base, f"sum({COST})"), "cost series in prometheus", 30, 0.5)
        stored = float(got[0]["value"][1])
        count = int(query(base, f"count({COST})")[0]["value"][1])
        by_instance = query(base, f"count by (instance) ({COST})")
        leaders_in_prom = query(base, f"sum({LEADER})")
        assert abs(stored - leader_sum) <= 1e-6 * max(1.0, leader_sum), (stored, leader_sum)
        assert count == leader_series, (count, leader_series)
        assert len(by_instance) == 1, by_instance
        assert float(leaders_in_prom[0]["value"][1]) == 1, leaders_in_prom
        print(f"prometheus: sum={stored:.6f} over {count} series from one instance")
        # Two full intervals: the leader alone polls (two or three requests, never four+).
        time.sleep(max(0.0, t_start + 2 * INTERVAL_S + 1 - time.time()))
        polls = len(kubecost.requests) - requests_at_start
        elapsed = time.time() - t_start
        assert 1 <= polls <= int(elapsed / INTERVAL_S) + 1, (polls, elapsed)
        print(f"kubecost: {polls} requests in {elapsed:.1f}s at a {INTERVAL_S:.0f}s interval")

        # --- a 409 Conflict from another writer does not cost the leader its Lease -----------
        conflicts = api.counts["409"]
        api.bump(NS, LEASE)
        wait(lambda: api.counts["409"] > conflicts, "the leader's renewal refused with 409", 5)
        wait(lambda: api.lease(NS, LEASE)["spec"]["holderIdentity"] == leader and
             publishes_costs(replicas[leader]), "the leader renewing after re-reading", 5)
        assert health_only(replicas[follower])

        # --- kill -9 of the leader: the other publishes within leaseDuration + one poll ------
        transitions = api.lease(NS, LEASE)["spec"].get("leaseTransitions", 0)
        before = len(kubecost.requests)
        replicas[leader].proc.send_signal(signal.SIGKILL)
        replicas[leader].proc.wait(timeout=5)
        t0 = time.time()
        wait(lambda: publishes_costs(replicas[follower]), "takeover after kill -9",
             LEASE_S + RETRY_S * 1.5 + POLL_S)
        print(f"kill -9: {follower} took over after {time.time() - t0:.2f}s")
        assert len(kubecost.requests) > before  # the new leader polled at once (interval 10s)
        assert api.lease(NS, LEASE)["spec"]["leaseTransitions"] == transitions + 1
        replicas[leader].__exit__(None, None, None)
        replicas[leader] = start(args.binary, leader, kubecost_port, kubeconfig, tmp)
        wait(lambda: health_only(replicas[leader]), "the restarted replica following", 5)
        leader, follower = follower, leader

        # --- SIGTERM of the leader: release, takeover within two retry periods + one poll ----
        t0 = time.time()
        assert replicas[leader].stop(signal.SIGTERM, timeout=RENEW_S * 2 + 5) == 0
        wait(lambda: publishes_costs(replicas[follower]), "takeover after SIGTERM",
             2 * RETRY_S + POLL_S)
        print(f"SIGTERM: {follower} took over {time.time() - t0:.2f}s after the signal")
        assert "lease released" in replicas[leader].logs()
        replicas[leader].__exit__(None, None, None)
        replicas[leader] = start(args.binary, leader, kubecost_port, kubeconfig, tmp)
        wait(lambda: health_only(replicas[leader]), "the restarted replica following", 5)
        leader, follower = follower, leader

        # --- API server down: the leader withdraws after renewDeadline; health stays ----------
        api.stop()
        t0 = time.time()
        wait(lambda: health_only(replicas[leader]), "the leader withdrawing its cost series",
             RENEW_S + RETRY_S + 1)
        print(f"API down: cost series withdrawn after {time.time() - t0:.2f}s")
        for e in replicas.values():
            assert e.proc.poll() is None
            assert http_get(e.base + "/healthz")[0] == 200
            m = parse_metrics(e.metrics())
            assert value(m, LEADER) == 0 and value(m, "cloudtuner_kubecost_exporter_series_count") == 0
        # Still nobody publishes while the API server stays away.
        time.sleep(LEASE_S)
        assert all(health_only(e) for e in replicas.values())

        # --- API server back: one leader again ----------------------------------------------
        api = KubeApiStandIn(api_port, TOKEN, store=api.store).start()
        wait(one_leader, "a leader after the API server came back", LEASE_S + 2 * RETRY_S + POLL_S)
        print("OK")
    finally:
        for e in replicas.values():
            e.__exit__(None, None, None)
        if prom is not None:
            prom.send_signal(signal.SIGTERM)
            try:
                prom.wait(timeout=10)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
        kubecost.stop()
        try:
            api.stop()
        except Exception:  # noqa: BLE001 - already stopped in the API-down phase
            pass
        shutil.rmtree(tmp, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="kci-ha-clock-e2e-")
    try:
        return clock_scenarios(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
