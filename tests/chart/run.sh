#!/usr/bin/env bash
# Renders the chart with real Helm (helm template, helm lint --strict; the helm .ci/setup
# --with-test-tools builds) with Kubecost's chart replaced by tests/chart/cost-analyzer-standin,
# and checks every scenario.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
helm=${HELM:-${KCI_TOOLS_DIR:-$HOME/.cache/kubecost-integration}/helm-v3.21.4/helm}
if [ ! -x "$helm" ]; then
  echo "chart: $helm is missing: run bash .ci/setup --with-test-tools" >&2
  exit 1
fi
if [ ! -d "$here/node_modules/kubernetes-models" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
fi
HELM="$helm" CHART_DIR="$root/charts/kubecost-integration" STANDIN_DIR="$here/cost-analyzer-standin" \
  node --test --test-reporter=spec "$here/chart.test.mjs"
