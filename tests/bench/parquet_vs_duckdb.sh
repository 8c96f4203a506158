#!/usr/bin/env bash
# Our Parquet writer on a 5 000-container day next to DuckDB's COPY ... TO parquet of the same rows.
# Usage: bash tests/bench/parquet_vs_duckdb.sh [containers=5000]
#        (KCI_BUILD: the build tree holding tests/parquet_day_bench; build/ by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"${KCI_BUILD:-build}"/tests/parquet_day_bench "${1:-5000}" "$out"
node tests/parquet/duckdb_copy_bench.mjs "$out"
