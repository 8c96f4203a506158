#!/usr/bin/env bash
# promtool check metrics on a /metrics file. The one finding allowed is the `_count` suffix of
# cloudtuner_kubecost_exporter_series_count: that name is part of the CloudTuner compatibility
# contract (the SaaS reads it). Any other finding fails.
set -euo pipefail
out=$(promtool check metrics < "$1" 2>&1) || true
rest=$(printf '%s\n' "$out" | grep -v '^cloudtuner_kubecost_exporter_series_count non-histogram and non-summary metrics should not have "_count" suffix$' | grep -v '^$' || true)
if [ -n "$rest" ]; then
  printf 'promtool findings:\n%s\n' "$rest"
  exit 1
fi
families=$(grep -c '^# TYPE ' "$1")
echo "promtool: clean apart from the contract name series_count ($families families)"
