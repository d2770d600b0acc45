#!/usr/bin/env bash
# The explore path on one file, beside DuckDB in the same sitting: upload → ready, then its
# snapshot (written just after ready) through the real binary, then the issue's two questions through POST .../query —
# cold (nothing decoded yet), warm (columns cached, answer not) — and DuckDB running the same SQL
# over OUR Parquet file (bench/explore_peer.mjs); the snapshot's size beside DuckDB's own zstd copy;
# the server's peak RSS.
#
#   bench/explore_bench.sh FILE.csv [BINARY] [PEERS_DIR]
#
# BINARY defaults to the Release build; PEERS_DIR to ../shared/bench with `npm install` done.
set -euo pipefail
FILE=$(realpath "${1:?usage: explore_bench.sh FILE.csv [BINARY] [PEERS_DIR]}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${2:-$ROOT/build/release/src/insightstream}")
PEERS=$(realpath "${3:-$ROOT/../shared/bench}")
WORK=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
B=http://127.0.0.1:$PORT
"$BIN" all --listen 127.0.0.1:$PORT --data-dir "$WORK/data" --query-cache-bytes $((2 << 30)) >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "$B/healthz" >/dev/null && break; sleep 0.1; done
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
TOKEN=$(curl -sf -X POST "$B/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"correct horse battery","name":"B","organization":"Bench"}' | json 'd["access_token"]')
AUTH="authorization: Bearer $TOKEN"
T0=$(date +%s.%N)
ID=$(curl -sf -X POST "$B/api/v1/datasets?name=bench&format=csv" -H "$AUTH" -H 'content-type: text/csv' \
  -T "$FILE" | json 'd["id"]')
T1=$(date +%s.%N)
T2=""
while :; do
  STATE=$(curl -sf "$B/api/v1/datasets/$ID" -H "$AUTH" | json 'd["status"] + " " + (d.get("snapshot") or {}).get("status", "-")')
  case "$STATE" in
    "ready writing") [ -n "$T2" ] || T2=$(date +%s.%N) ;;
    "ready ready") [ -n "$T2" ] || T2=$(date +%s.%N); break ;;
    "ready failed") echo "the snapshot could not be written" >&2; exit 1 ;;
    failed*) echo "the version failed" >&2; exit 1 ;;
  esac
  sleep 0.05
done
T3=$(date +%s.%N)
printf 'upload %.2f s, analysis until ready %.2f s, snapshot %.2f s after ready\n' "$(echo "$T1 - $T0" | bc)" \
  "$(echo "$T2 - $T1" | bc)" "$(echo "$T3 - $T2" | bc)"
SNAP=$(find "$WORK/data" -name snapshot.parquet)
Q1='"filters":[{"column":"region","op":"eq","value":"Europe"},{"column":"channel","op":"in","values":["Online","Partner"]}],"time":{"column":"order_date","interval":"month"},"measures":[{"column":"revenue","agg":"sum"},{"agg":"count"}]'
Q2='"filters":[{"column":"region","op":"eq","value":"Europe"}],"group_by":["category","channel"],"measures":[{"column":"revenue","agg":"sum"},{"agg":"count"}]'
query() {  # name, body fields, run label
  local t0 t1 body
  t0=$(date +%s.%N)
  body=$(curl -sf -X POST "$B/api/v1/datasets/$ID/query" -H "$AUTH" -H 'content-type: application/json' -d "{$2}")
  t1=$(date +%s.%N)
  printf '%-24s %-5s http %6.0f ms  engine %5s ms  rows %s\n' "$1" "$3" "$(echo "($t1 - $t0) * 1000" | bc)" \
    "$(echo "$body" | json 'd["elapsed_ms"]')" "$(echo "$body" | json 'len(d["rows"])')"
}
echo "insightstream (POST .../query):"
query filtered_monthly_trend "$Q1" cold
query two_column_group_by "$Q2" cold
for i in 1 2 3; do
  # A new question each time (offset differs), so the answer cache misses and the columns are reused.
  query filtered_monthly_trend "$Q1,\"offset\":$i" warm
  query two_column_group_by "$Q2,\"offset\":0,\"limit\":$((100 + i))" warm
done
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' /proc/$PID/status)"
if [ -d "$PEERS/node_modules/@duckdb" ]; then
  echo "DuckDB over our Parquet file ($(stat -c %s "$SNAP") bytes):"
  # Node resolves packages next to the script: run a copy beside a link to the peers' packages.
  ln -s "$PEERS/node_modules" "$WORK/node_modules"
  cp "$ROOT/bench/explore_peer.mjs" "$WORK/"
  (cd "$WORK" && node explore_peer.mjs "$SNAP" "$WORK") | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in ("filtered_monthly_trend", "two_column_group_by"):
    print("%-24s cold %5d ms  warm %5d ms  rows %d" % (k, d[k]["cold_ms"], d[k]["warm_ms"], d[k]["rows"]))
print("snapshot %.1f MiB, DuckDB COPY zstd %.1f MiB: %.2fx" % (d["our_file_bytes"] / 2**20, d["duckdb_copy_bytes"] / 2**20,
      d["our_file_bytes"] / d["duckdb_copy_bytes"]))'
else
  echo "no DuckDB: run 'npm install' in $PEERS" >&2
fi
