#!/usr/bin/env bash
# The test command: set-up, release build + every test, sanitizer build + unit tests, fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

echo "== release build and all tests"
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 900

echo "== ASan+UBSan build and unit tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRIT_SANITIZE=ON -DTRIT_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-O1" >/dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900 \
  -L "util|formats|gguf|kernels|model|engine|tokenizer|tools" -E "Slow"

echo "== fuzzing (bounded time)"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRIT_FUZZ=ON -DTRIT_TESTS=OFF -DTRIT_BENCH=OFF \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_CXX_FLAGS="-O1" >/dev/null
cmake --build build-fuzz --target fuzzers
fuzzers=(build-fuzz/tests/fuzz/fuzz_*)
[ -x "${fuzzers[0]}" ] || { echo "error: no fuzz targets were built" >&2; exit 1; }
for fuzzer in "${fuzzers[@]}"; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  echo "-- $name for ${TRIT_FUZZ_SECONDS:-60} s"
  # On a finding, the whole report and the input that caused it (the final stats alone hide it).
  if ! "$fuzzer" -max_total_time="${TRIT_FUZZ_SECONDS:-60}" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/" "$work" > "$work.log" 2>&1; then
    grep -v -E '^#[0-9]+|^(INFO|MS):' "$work.log" | tail -n 80
    for input in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      [ -f "$input" ] && { echo "input $(basename "$input") (base64):"; head -c 8192 "$input" | base64; }
    done
    echo "error: $name found a crash, leak, timeout or out-of-memory input (above)" >&2
    exit 1
  fi
  tail -n 4 "$work.log"
  rm -rf "$work" "$work.log"
done
echo "== all tests passed"
