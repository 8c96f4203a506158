#!/usr/bin/env bash
# Renders the chart offline with Helm's template engine libraries and checks every scenario.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build/chart}
mkdir -p "$out"
# Go from Debian, in GOPATH mode against Debian's packaged sprig and yaml.v3: nothing downloaded.
GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE="$out/gocache" \
  go build -o "$out/render" "$here/render/main.go"
if [ ! -d "$here/node_modules/kubernetes-models" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
fi
RENDER_BIN="$out/render" CHART_DIR="$root/charts/kubecost-integration" \
  node --test --test-reporter=spec "$here/chart.test.mjs"
