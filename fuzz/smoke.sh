#!/usr/bin/env bash
# Smoke test of the fuzz targets: builds them as ordinary binaries (no sanitizer, no
# coverage instrumentation; the workspace's own target dir) and runs each one over its seed
# corpus, then on a few seconds of libFuzzer's mutations of it. Fails on any crash, panic,
# timeout or out-of-memory. Long, instrumented runs: see fuzz/README.md.
#
#   fuzz/smoke.sh                 # every target
#   fuzz/smoke.sh sigv4 policy    # some
#   SMOKE_SECONDS=2 fuzz/smoke.sh # mutation time per target (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(request_decoding sigv4 policy schedule store_records)
fi
seconds="${SMOKE_SECONDS:-5}"

start=$(date +%s)
cargo build --quiet -p cofre-fuzz --bins
bin_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

status=0
for target in "${targets[@]}"; do
  seeds="fuzz/corpus/$target"
  # Mutated inputs go to a scratch corpus and findings to a scratch dir, never into the
  # committed corpus.
  mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
  log="$work/$target/log"
  t0=$(date +%s)
  # Every seed once, then mutations for $seconds: -timeout is per input, -rss_limit_mb the
  # memory bound; a crash, timeout or OOM exits non-zero and leaves its input in artifacts/.
  if "$bin_dir/$target" "$work/$target/corpus" "$seeds" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$work/$target/artifacts/" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    echo "fuzz smoke: $target ok ($(ls "$seeds" | wc -l) seeds, ${runs:-?} runs, $(( $(date +%s) - t0 )) s)"
  else
    status=1
    echo "fuzz smoke: $target FAILED; its log:" >&2
    tail -n 60 "$log" >&2
    for artifact in "$work/$target/artifacts/"*; do
      [ -e "$artifact" ] || continue
      echo "fuzz smoke: $target input $(basename "$artifact"): $(od -An -c "$artifact" | head -c 2000)" >&2
    done
  fi
done
echo "fuzz smoke: $(( $(date +%s) - start )) s in all"
exit "$status"
