#!/usr/bin/env python3
"""deploy/ files: every Grafana query is valid PromQL (promtool), the IAM documents are valid
policy JSON of the expected shape, the Athena DDL declares the partition projection, and the
Dockerfile's runtime stage installs exactly the packages of the libraries the built binary loads."""
import json
import os
import re
import subprocess
import sys
import tempfile

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "allocation-exporter")
checks = 0

# Grafana: each target's expr, with dashboard variables substituted, must parse as PromQL.
dash = json.load(open(os.path.join(root, "deploy/grafana/kubecost-allocation.json")))
exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
assert len(exprs) >= 8, exprs
with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        f.write(f"      - record: dashboard_expr_{i}\n        expr: {json.dumps(e.replace('$cluster', '.*'))}\n")
r = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
os.unlink(f.name)
assert r.returncode == 0, r.stdout + r.stderr
for family in ("namespace_total_cost", "pod_total_cost", "idle_total_cost", "exporter_scrape_success"):
    assert any(family in e for e in exprs), family
checks += 1

# IAM: valid JSON policies, least privilege on the data prefix.
for name in os.listdir(os.path.join(root, "deploy/iam")):
    doc = json.load(open(os.path.join(root, "deploy/iam", name)))
    assert doc["Version"] == "2012-10-17", name
    for st in doc["Statement"]:
        assert st["Effect"] in ("Allow", "Deny") and "Action" in st, (name, st)
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert st["Effect"] == "Deny" or all(a != "*" and not a.endswith(":*") for a in actions), (name, st)
parent = json.load(open(os.path.join(root, "deploy/iam/parent-role-policy.json")))
assert all("account_id=" in json.dumps(s) for s in parent["Statement"])
checks += 1

# Athena: partition projection over the upload layout, no crawler needed.
ddl = open(os.path.join(root, "deploy/athena/kubecost_table.sql")).read()
assert "'projection.enabled' = 'true'" in ddl
assert "PARTITIONED BY (`account_id` string, `region` string, `year` string, `month` string)" in ddl
assert "account_id=${account_id}/region=${region}/year=${year}/month=${month}/" in ddl
checks += 1

# Dockerfile: RUNTIME_LIBRARIES, which the runtime stage installs, is exactly the set of packages
# owning the binary's shared libraries (the image build checks the same with .ci/runtime-packages).
docker = open(os.path.join(root, "Dockerfile")).read()
build_stage, runtime = docker.split("FROM debian:bookworm-slim", 1)
m = re.search(r'^ARG RUNTIME_LIBRARIES="((?:[^"\\]|\\\n)*)"', docker, re.M)
assert m, "Dockerfile declares ARG RUNTIME_LIBRARIES=\"...\""
listed = set(m.group(1).replace("\\\n", " ").split())
ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
needed = set()
for lib in re.findall(r"=> (/\S+)", ldd):
    real = os.path.realpath(lib)
    owner = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True)
    if owner.returncode != 0:
        owner = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
    needed.add(owner.stdout.split(":")[0])
assert not needed - listed, f"Dockerfile RUNTIME_LIBRARIES lacks {sorted(needed - listed)}"
assert not listed - needed, f"Dockerfile RUNTIME_LIBRARIES lists unneeded {sorted(listed - needed)}"
assert re.search(r"^ARG RUNTIME_LIBRARIES$", runtime, re.M) and "$RUNTIME_LIBRARIES ca-certificates" in runtime
assert 'ENTRYPOINT ["/usr/local/bin/allocation-exporter"]' in docker and "EXPOSE 9103" in docker
assert re.search(r"^USER 65534:65534$", runtime, re.M), "numeric non-root user 65534"
assert "bash .ci/setup --no-tests" in build_stage, "build stage uses CI's script, without the tests"
assert ".ci/runtime-packages build/allocation-exporter \"$RUNTIME_LIBRARIES\"" in build_stage
checks += 1
print(f"deploy files: {checks} passed, 0 failed")
