#!/usr/bin/env python3
"""One serve poll next to its physical limit on the same bytes (issue 24), at 12 000 and 48 000
pods, and s3-export's Parquet bytes per row next to DuckDB's. Prints markdown tables and writes
them to tests/bench/LIMIT.md (machine, date, commit and command on top). A benchmark: it reports
numbers and the targets beside them; it never passes or fails on them, and is not in ctest/CI.

The bytes: `allocation-exporter-bench --dump-response N` (the stand-in Kubecost's answer for N
pods), gzip level 6 as serve_curve.py serves it; every figure below is taken on that one file.
- ours, in-process: `poll-limit-bench poll` (inflate in 128 KiB pieces as the HTTP client does,
  stream into the snapshot, render; pod metrics on, top 50), fastest of --runs.
- ours, real binary: serve_curve.serve_run (the allocation-exporter polling a loopback stand-in
  that serves the gzip file): on-CPU time of the process per poll, fastest of --polls polls in
  each of --serve-runs starts, and its peak RSS; its instructions per poll under callgrind.
- the limit: `poll-limit-bench limit`: one ISA-L inflate of the whole body + one simdjson DOM
  parse of the text (Debian's libisal and libsimdjson, as the exporter links them), each the
  fastest of --runs; and simdjson On-Demand reading only the fields the exporter uses, compiled
  for the baseline x86-64 (its fallback kernel) and with -mavx2 -mbmi -mpclmul -mlzcnt -mpopcnt
  (its haswell kernel), timed separately (not part of the limit's sum).
- instructions: valgrind --tool=callgrind, counting one poll / one inflate + DOM parse after a
  warm-up (--toggle-collect); repeatable under load, where times are not.
- the numbers alone: `poll-limit-bench numbers`: the values of the keys serve mode converts, as
  one JSON array, converted by simdjson's DOM and by our JsonCursor (ns per number).
- Parquet: tests/bench/parquet_vs_duckdb.sh at 10 000 containers (our writer vs DuckDB's COPY
  ... TO on the same rows; needs node and tests/parquet/node_modules from .ci/setup).

Usage: /usr/bin/python3 tests/bench/poll_limit.py [--build DIR] [--runs N] [--serve-runs N]
                                                  [--polls N] [--pods 12000,48000] [--no-write]
  after `bash .ci/setup --with-test-tools` (valgrind, node) and a Release build, e.g.
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release --target \
    allocation-exporter allocation-exporter-bench poll-limit-bench poll-limit-ondemand \
    poll-limit-ondemand-haswell parquet_day_bench
  (--build defaults to build/, the RelWithDebInfo tree .ci/setup builds).
"""
import argparse
import datetime
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_curve  # noqa: E402
from run_suite import cpu_model  # noqa: E402

TARGET_IN_PROCESS = 1.3
TARGET_REAL = 1.5
TARGET_PARQUET = 1.05
TARGET_RSS_MIB = 20


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def fields(line_text):
    return dict(re.findall(r"(\w+)=(\S+)", line_text))


def callgrind(binary, toggle, args, tmp):
    """Instructions executed inside `toggle` (and what it calls), from callgrind's summary."""
    out = os.path.join(tmp, "callgrind.out")
    p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        f"--toggle-collect={toggle}", binary] + args,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"callgrind of {toggle} failed: {p.stderr[-600:]}")
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    os.remove(out)
    return int(m.group(1)), fields(p.stdout).get("dom_kernel", "")


def real_binary_callgrind(gz, tmp):
    """Instructions of one poll of the real binary (kci::run_poll and what it calls: the HTTP
    exchange, inflate, parse, render): callgrind's totals after two polls less those after one."""
    totals = []
    for count in (0, 1):
        out = os.path.join(tmp, "callgrind.real")
        serve_curve.serve_run(gz, count, "10s", ("valgrind", "--tool=callgrind", "--toggle-collect=kci::run_poll*",
                                                 f"--callgrind-out-file={out}"))
        totals.append(int(re.search(r"^totals:\s*(\d+)", open(out).read(), re.M).group(1)))
        os.remove(out)
    return totals[1] - totals[0]


def parquet(build):
    """Our bytes per row and DuckDB's at 10 000 containers, per codec; None when DuckDB's node
    module is missing."""
    if not shutil.which("node") or not os.path.isdir(os.path.join(ROOT, "tests/parquet/node_modules")):
        return None
    out = sh(["bash", os.path.join(ROOT, "tests/bench/parquet_vs_duckdb.sh"), "10000"],
             env=dict(os.environ, KCI_BUILD=build))
    res = {}
    for codec in ("snappy", "zstd"):
        ours = fields(re.search(rf"ours {codec}: (.*)", out).group(1))
        duck = fields(re.search(rf"duckdb {codec} \(1 thread\): (.*)", out).group(1))
        res[codec] = (int(ours["rows"]), float(ours["bytes_per_row"]), float(duck["bytes_per_row"]))
    return res


def ratio(a, b):
    return f"{a / b:.2f}×"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--serve-runs", type=int, default=2, help="starts of the real binary")
    ap.add_argument("--polls", type=int, default=3, help="polls measured per start (10 s apart)")
    ap.add_argument("--pods", default="12000,48000")
    ap.add_argument("--no-write", action="store_true", help="print only; leave LIMIT.md alone")
    opts = ap.parse_args()
    build = os.path.abspath(opts.build)
    bench = os.path.join(build, "poll-limit-bench")
    serve_curve.BUILD = build  # serve_run starts <build>/allocation-exporter
    scales = [int(n) for n in opts.pods.split(",")]
    keys = sh([bench, "keys"]).strip()
    tmp = tempfile.mkdtemp(prefix="kci-limit-")
    rows = {}
    try:
        for n in scales:
            path = os.path.join(tmp, f"r{n}.json")
            sh([os.path.join(build, "allocation-exporter-bench"), "--dump-response", str(n), path])
            raw = open(path, "rb").read()
            gz = gzip.compress(raw, 6)
            with open(path + ".gz", "wb") as f:
                f.write(gz)
            r = {"mb": len(raw) / 1e6, "gz_mb": len(gz) / 1e6}
            print(f"{n} pods: in-process poll ...", file=sys.stderr, flush=True)
            r["ours_ms"] = float(fields(sh([bench, "poll", path + ".gz", str(opts.runs)]))["poll_ms"])
            print(f"{n} pods: the limit ...", file=sys.stderr, flush=True)
            r.update(fields(sh([bench, "limit", path + ".gz", str(opts.runs)])))
            for variant in ("", "-haswell"):
                exe = os.path.join(build, "poll-limit-ondemand" + variant)
                if os.path.exists(exe):
                    r["ondemand" + variant] = fields(sh([exe, path + ".gz", str(opts.runs), keys]))
            r["numbers"] = fields(sh([bench, "numbers", path + ".gz", str(opts.runs)]))
            print(f"{n} pods: the real binary ...", file=sys.stderr, flush=True)
            cpu, hwm = [], []
            for _ in range(opts.serve_runs):
                h, c = serve_curve.serve_run(gz, opts.polls, "10s")
                cpu.append(c * 1000)
                hwm.append(h)
            r["real_ms"], r["real_cpus"], r["rss"] = min(cpu), cpu, max(hwm)
            print(f"{n} pods: callgrind ...", file=sys.stderr, flush=True)
            r["ours_ir"], _ = callgrind(bench, "kci_bench_poll_once", ["poll", path + ".gz", "1"], tmp)
            r["limit_ir"], r["cg_kernel"] = callgrind(bench, "kci_bench_limit_once",
                                                      ["limit", path + ".gz", "1"], tmp)
            r["real_ir"] = real_binary_callgrind(gz, tmp)
            rows[n] = r
            os.remove(path)
            os.remove(path + ".gz")
        print("Parquet vs DuckDB ...", file=sys.stderr, flush=True)
        pq = parquet(build)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    head = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).strip()
    dirty = " (with uncommitted changes)" if sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).strip() else ""
    build_type = ""
    cache = os.path.join(build, "CMakeCache.txt")
    if os.path.exists(cache):
        m = re.search(r"^CMAKE_BUILD_TYPE:\w+=(\S*)", open(cache).read(), re.M)
        build_type = m.group(1) if m else ""
    cmd = "/usr/bin/python3 tests/bench/poll_limit.py " + " ".join(sys.argv[1:])
    out = [f"Machine: {cpu_model()}, {os.cpu_count()} cores; {datetime.date.today().isoformat()}; "
           f"commit {head}{dirty}; build {os.path.relpath(build, ROOT)} ({build_type or 'no CMAKE_BUILD_TYPE'}); "
           f"command: `{cmd.strip()}`.\n",
           f"Times are the fastest of {opts.runs} runs (real binary: of {opts.polls} polls in each of "
           f"{opts.serve_runs} starts, the fastest per start in brackets); the machine "
           "may be shared, so compare instruction counts across runs and times within one run.\n",
           "#### The limit on the same bytes: ISA-L inflate + one simdjson pass\n",
           "| pods | answer MB (gzip MB) | ISA-L inflate ms | simdjson DOM ms (kernel) | **limit** ms (inflate + DOM) "
           "| On-Demand, needed fields only: baseline build ms | same, -mavx2 -mbmi -mpclmul -mlzcnt -mpopcnt build ms |",
           "|---:|---:|---:|---:|---:|---:|---:|"]

    def ondemand(r, variant):
        o = r.get("ondemand" + variant)
        if not o:
            return "not built (x86-64 only)"
        return (f"{float(o['ondemand_ms']):.1f} (stage 2 compiled: {o['compiled']}; stage 1: {o['stage1']}; "
                f"builtin_implementation(): {o['builtin']})")
    for n, r in rows.items():
        out.append(f"| {n:,} | {r['mb']:.1f} ({r['gz_mb']:.2f}) | {float(r['inflate_ms']):.1f} | "
                   f"{float(r['dom_ms']):.1f} ({r['dom_kernel']}) | **{float(r['limit_ms']):.1f}** | "
                   f"{ondemand(r, '')} | {ondemand(r, '-haswell')} |")
    out.append("\nOn-Demand's iteration (stage 2) is compiled into the program for its target; its "
               "structural indexing (stage 1) comes from libsimdjson, dispatched at run time "
               "(ondemand::parser::allocate calls get_active_implementation()). "
               "builtin_implementation() is defined in libsimdjson, so it names the library's build.")
    out += ["\n#### Our poll against the limit (pod metrics on, top 50 pods)\n",
            f"| pods | limit ms | ours in-process ms | in-process / limit (target ≤ {TARGET_IN_PROCESS}×) "
            f"| real binary CPU ms/poll | real / limit (target ≤ {TARGET_REAL}×) "
            f"| real binary peak RSS MiB (target ≤ {TARGET_RSS_MIB} at 48 000) |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for n, r in rows.items():
        limit = float(r["limit_ms"])
        out.append(f"| {n:,} | {limit:.1f} | {r['ours_ms']:.1f} | {ratio(r['ours_ms'], limit)} | "
                   f"{r['real_ms']:.1f} ({', '.join(f'{c:.0f}' for c in r['real_cpus'])}) | "
                   f"{ratio(r['real_ms'], limit)} | {r['rss']:.1f} |")
    out += ["\n#### The numbers the poll converts, alone (`poll-limit-bench numbers`)\n",
            "Every value of the 23 keys serve mode reads as a number, as one JSON array; stage 1 "
            "and a sum included.\n",
            "| pods | numbers | simdjson DOM ns/number | our JsonCursor ns/number |",
            "|---:|---:|---:|---:|"]
    for n, r in rows.items():
        m = r["numbers"]
        out.append(f"| {n:,} | {int(m['numbers']):,} | {float(m['dom_ns_per_number']):.1f} | "
                   f"{float(m['ours_ns_per_number']):.1f} |")
    out += ["\n#### Instructions (valgrind --tool=callgrind: one inflate + DOM parse; one poll)\n",
            "| pods | limit M instructions (simdjson kernel under valgrind) | ours in-process M instructions "
            "| in-process / limit | real binary M instructions per poll | real / limit |",
            "|---:|---:|---:|---:|---:|---:|"]
    for n, r in rows.items():
        out.append(f"| {n:,} | {r['limit_ir'] / 1e6:.0f} ({r['cg_kernel']}) | {r['ours_ir'] / 1e6:.0f} | "
                   f"{ratio(r['ours_ir'], r['limit_ir'])} | {r['real_ir'] / 1e6:.0f} | {ratio(r['real_ir'], r['limit_ir'])} |")
    out.append("\nThe real binary's count is kci::run_poll and what it calls (the HTTP exchange, inflate, "
               "parse, render) in its second poll: callgrind's totals after two polls less those after one.")
    out += ["\n#### s3-export: Parquet bytes per row against DuckDB's `COPY … TO` of the same rows "
            "(10 000 containers, tests/bench/parquet_vs_duckdb.sh)\n"]
    if pq is None:
        out.append("Not run: node or tests/parquet/node_modules is missing (`bash .ci/setup --with-test-tools`).")
    else:
        out += [f"| codec | rows | ours bytes/row | DuckDB bytes/row | ours / DuckDB (target ≤ {TARGET_PARQUET}×) |",
                "|---|---:|---:|---:|---:|"]
        for codec, (nrows, ours, duck) in pq.items():
            out.append(f"| {codec} | {nrows:,} | {ours:.1f} | {duck:.1f} | {ours / duck:.3f}× |")
    text = "\n".join(out) + "\n"
    if not opts.no_write:
        with open(os.path.join(ROOT, "tests/bench/LIMIT.md"), "w") as fh:
            fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
