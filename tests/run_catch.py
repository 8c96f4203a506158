#!/usr/bin/env python3
"""Runs one Catch2 binary as one ctest entry and proves every case it lists ran.

Usage: run_catch.py RESULTS_DIR BINARY [CATCH_ARGS...]

CATCH_ARGS is an optional test spec (for example "[threads]"). The script
1. asks the binary for the cases the spec selects (--list-test-names-only),
2. runs it with the same spec and -w NoTests (a spec that matches nothing fails),
3. reads the console reporter's closing summary ("All tests passed (A assertions in N test
   cases)" or "test cases: N | P passed | F failed"),
4. writes RESULTS_DIR/<binary>[<spec>].json with listed/ran/passed/failed, which .ci/test sums
   into its closing line, and
5. exits non-zero when the binary failed, printed no summary, or ran a different number of cases
   than it listed (a case that was registered but did not run fails the entry).

Catch2's own discovery (catch_discover_tests) registered one ctest entry per case name; a name
with '[' or ';' became a spec that matched nothing, Catch2 2.13 printed "No tests ran" and exited
0, so whole binaries silently ran nothing. One entry per binary has no names to escape.
"""
import json
import os
import re
import subprocess
import sys

# Both summaries of Catch2 2.13's console reporter (catch.hpp, ConsoleReporter::printTotals).
ALL_PASSED = re.compile(r"^All tests passed \((\d+) assertions? in (\d+) test cases?\)", re.M)
TOTALS = re.compile(r"^test cases:\s*(\d+)\s*\|\s*(\d+) passed(?:\s*\|\s*(\d+) failed)?", re.M)
TOTALS_ALL_FAILED = re.compile(r"^test cases:\s*(\d+)\s*\|\s*(\d+) failed", re.M)


def listed_cases(binary, spec):
    out = subprocess.run([binary, "--list-test-names-only", *spec], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=60, check=False).stdout
    return [line for line in out.splitlines() if line.strip()]


def parse_summary(text):
    """(ran, passed, failed) from the console reporter's last summary, or None."""
    match = ALL_PASSED.search(text)
    if match:
        ran = int(match.group(2))
        return ran, ran, 0
    match = TOTALS_ALL_FAILED.search(text)
    if match and "passed" not in match.group(0):
        return int(match.group(1)), 0, int(match.group(2))
    match = TOTALS.search(text)
    if match:
        ran, passed = int(match.group(1)), int(match.group(2))
        failed = int(match.group(3) or 0)
        return ran, passed, failed
    return None


def main():
    if len(sys.argv) < 3:
        print("usage: run_catch.py RESULTS_DIR BINARY [CATCH_ARGS...]", file=sys.stderr)
        return 2
    results_dir, binary, spec = sys.argv[1], sys.argv[2], sys.argv[3:]
    name = os.path.basename(binary) + "".join(spec)
    os.makedirs(results_dir, exist_ok=True)
    result_path = os.path.join(results_dir, re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".json")
    if os.path.exists(result_path):
        os.remove(result_path)

    listed = listed_cases(binary, spec)
    run = subprocess.run([binary, "-w", "NoTests", *spec], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, check=False)
    sys.stdout.write(run.stdout)
    summary = parse_summary(run.stdout)
    if summary is None:
        print(f"run_catch: {name}: no Catch2 summary in the output (exit {run.returncode})")
        return 1
    ran, passed, failed = summary
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump({"binary": name, "listed": len(listed), "ran": ran, "passed": passed,
                   "failed": failed, "exit": run.returncode}, f)
    print(f"run_catch: {name}: listed {len(listed)}, ran {ran}, passed {passed}, failed {failed}")
    if ran != len(listed):
        print(f"run_catch: {name}: {len(listed)} cases listed but {ran} ran")
        return 1
    if run.returncode != 0 or failed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
