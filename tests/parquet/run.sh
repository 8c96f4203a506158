#!/usr/bin/env bash
# Writes the Parquet fixtures and reads them back with DuckDB and hyparquet.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
writer=$1
out=$2
rm -rf "$out" && mkdir -p "$out"
"$writer" "$out"
if [ ! -d "$here/node_modules/@duckdb/node-api" ] || [ ! -d "$here/node_modules/hyparquet" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
fi
node "$here/read_check.mjs" "$out"
