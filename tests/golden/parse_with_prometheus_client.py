"""Parses a /metrics file with the official Python client's parser and checks its shape."""
import sys

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
families = list(text_string_to_metric_families(text))
names = {f.name for f in families}
samples = [s for f in families for s in f.samples]
required = {
    "cloudtuner_kubecost_namespace_total_cost",
    "cloudtuner_kubecost_cluster_total_cost",
    "cloudtuner_kubecost_pod_total_cost",
    "cloudtuner_kubecost_exporter_scrape_errors",
    "cloudtuner_kubecost_exporter_info",
}
missing = required - names
assert not missing, f"families missing: {missing}"
weird = [s for s in samples if s.labels.get("namespace") == 'we"ird\\ns\n']
assert weird, "escaped namespace label did not round-trip"
assert any(s.labels.get("label_team") == 'q"t' for s in weird)
print(f"ok: {len(families)} families, {len(samples)} samples")
