#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for a bounded time.
# Usage: bash tests/fuzz/run.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
if ! command -v clang++ >/dev/null || [ ! -d /usr/lib/llvm-14/lib/clang ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DENABLE_FUZZING=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build-fuzz --target fuzz_allocation_parser fuzz_config_loader >/dev/null

work=build-fuzz/corpus
mkdir -p "$work/allocation" "$work/config" build-fuzz/artifacts
cp tests/fuzz/seeds/allocation/* "$work/allocation/"
# The Kubecost/OpenCost fixture answers, good and refused, seed the allocation corpus too.
for f in tests/fixtures/kubecost/*.json tests/fixtures/kubecost/refused/*; do
  cp "$f" "$work/allocation/fixture_$(basename "$f")"
done
cp tests/fuzz/seeds/config/* config/*.yaml "$work/config/"

for target in allocation_parser config_loader; do
  corpus="$work/${target%%_*}"
  [ "$target" = config_loader ] && corpus="$work/config"
  echo "== fuzz_$target for ${seconds}s"
  ./build-fuzz/fuzz_$target "$corpus" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix=build-fuzz/artifacts/ -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
    2> "build-fuzz/fuzz_$target.log" || { tail -40 "build-fuzz/fuzz_$target.log"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/fuzz_$target.log" | sed "s/^/fuzz_$target /"
done
