#!/usr/bin/env bash
# Signed-load benchmark: Cofre (embedded store, authentication, policy evaluation and
# encryption on) against the bare-hyper ceiling and, when installed, moto and fakecloud, in
# one run on one machine. Prints one JSON line per measurement and a summary table.
#
#   bench/run.sh                # defaults: 32 connections, 10 s per run, 1,000 secrets
#   CONNS=64 DURATION=20 SECRETS=100000 bench/run.sh
#
# Peers are measured only when present: `moto_server` (pip install 'moto[server]') and
# `fakecloud` (cargo install fakecloud --version 0.51.0).
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-32}
DURATION=${DURATION:-10}
SECRETS=${SECRETS:-1000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p cofre -p cofre-bench
BIN="$CARGO_TARGET_DIR/release"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
export AWS_ACCESS_KEY_ID=AKIABENCHBENCHBENCH0 AWS_SECRET_ACCESS_KEY=bench-secret-key-0123456789
RESULTS="$WORK/results.jsonl"

wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
load() { "$BIN/cofre-bench" load --connections "$CONNS" --duration "$DURATION" --secrets "$SECRETS" "$@" | tee -a "$RESULTS"; }

echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/Model name: *//p' | head -1), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "# $CONNS connections, $DURATION s per run, $SECRETS secrets"

# (a) Cofre on the embedded store.
COFRE_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID COFRE_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY COFRE_LOG=warn \
  "$BIN/cofre" server --listen 127.0.0.1:18700 --data-dir "$WORK/cofre" >/dev/null 2>"$WORK/cofre.log" &
PIDS+=($!); COFRE_PID=$!
wait_port 18700
load --endpoint http://127.0.0.1:18700 --label cofre --workload get --populate --server-pid "$COFRE_PID"
load --endpoint http://127.0.0.1:18700 --label cofre --workload get-put --server-pid "$COFRE_PID"
load --endpoint http://127.0.0.1:18700 --label cofre --workload list --server-pid "$COFRE_PID"
load --endpoint http://127.0.0.1:18700 --label cofre --workload create --server-pid "$COFRE_PID"
kill "$COFRE_PID"; wait "$COFRE_PID" 2>/dev/null || true

# (a') The same server with the audit trail off: the baseline for the audit's cost.
COFRE_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID COFRE_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY COFRE_LOG=warn \
  "$BIN/cofre" server --listen 127.0.0.1:18701 --data-dir "$WORK/cofre-noaudit" --audit-mode off >/dev/null 2>>"$WORK/cofre.log" &
PIDS+=($!); NOAUDIT_PID=$!
wait_port 18701
load --endpoint http://127.0.0.1:18701 --label audit-off --workload get --populate --server-pid "$NOAUDIT_PID"
kill "$NOAUDIT_PID"; wait "$NOAUDIT_PID" 2>/dev/null || true

# (c) The ceiling.
"$BIN/cofre-bench" ceiling --listen 127.0.0.1:18800 >/dev/null &
PIDS+=($!); CEIL_PID=$!
wait_port 18800
load --endpoint http://127.0.0.1:18800 --label ceiling --workload get --server-pid "$CEIL_PID"

# (b) Peers, when installed.
if command -v moto_server >/dev/null 2>&1; then
  moto_server -p 18900 >/dev/null 2>&1 &
  PIDS+=($!); MOTO_PID=$!
  wait_port 18900
  load --endpoint http://127.0.0.1:18900 --label moto --workload get --populate --server-pid "$MOTO_PID"
fi
if command -v fakecloud >/dev/null 2>&1; then
  fakecloud --port 18950 >/dev/null 2>&1 &
  PIDS+=($!); FC_PID=$!
  wait_port 18950
  load --endpoint http://127.0.0.1:18950 --label fakecloud --workload get --populate --server-pid "$FC_PID"
fi

python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print()
print(f"{'target':10} {'workload':8} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'errors':>7} {'peak RSS MiB':>13}")
for r in rows:
    rss = r.get("server_peak_rss_mib")
    print(f"{r['label']:10} {r['workload']:8} {r['throughput_rps']:10.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['p999_ms']:9.2f} {r['errors']:7d} {rss if rss is None else round(rss):>13}")
get = {r["label"]: r["throughput_rps"] for r in rows if r["workload"] == "get"}
if "cofre" in get:
    for peer in ("audit-off", "ceiling", "moto", "fakecloud"):
        if peer in get:
            print(f"Cofre/{peer}: {get['cofre'] / get[peer]:.2f}")
PY
