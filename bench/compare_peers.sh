#!/usr/bin/env bash
# The engine beside DuckDB and Polars on the same file, timed the same way in the same sitting:
# whole-process wall time (min / median of RUNS after a warm-up run), median peak RSS, MB/s.
#
#   bench/compare_peers.sh RUNS FILE.csv [ENGINE_BENCH] [PEERS_DIR]
#
# ENGINE_BENCH defaults to build/release/bench/engine_bench; PEERS_DIR to a copy of
# ../shared/bench with `npm install` done in it (the peers are skipped when it has none).
set -euo pipefail
RUNS=${1:?usage: compare_peers.sh RUNS FILE.csv [ENGINE_BENCH] [PEERS_DIR]}
FILE=$(realpath "${2:?usage: compare_peers.sh RUNS FILE.csv [ENGINE_BENCH] [PEERS_DIR]}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ENGINE=$(realpath "${3:-$ROOT/build/release/bench/engine_bench}")
PEERS=${4:-$ROOT/../shared/bench}
BYTES=$(stat -c %s "$FILE")
printf '%-14s %-18s %8s %8s %9s %9s\n' file command min_s med_s peak_MiB MB/s_med
run() {  # name, command...
  local name=$1; shift
  "$@" >/dev/null 2>&1  # warm-up (and the page cache)
  local tf; tf=$(mktemp)
  for _ in $(seq "$RUNS"); do /usr/bin/time -f '%e %M' -a -o "$tf" "$@" >/dev/null 2>&1; done
  python3 - "$tf" "$BYTES" "$name" "$(basename "$FILE")" <<'PY'
import sys, statistics as s
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and l[0].isdigit()]
w = sorted(float(r[0]) for r in rows); m = [int(r[1]) / 1024 for r in rows]
med = s.median(w)
print('%-14s %-18s %8.3f %8.3f %9.1f %9.0f' % (sys.argv[4], sys.argv[3], w[0], med, s.median(m), int(sys.argv[2]) / 1e6 / med))
PY
  rm -f "$tf"
}
run insightstream "$ENGINE" "$FILE"
if [ -d "$PEERS/node_modules" ]; then
  (cd "$PEERS" && run duckdb_insights node duckdb_insights.mjs "$FILE")
  (cd "$PEERS" && run polars_insights node polars_insights.mjs "$FILE")
else
  echo "no peers: run 'npm install' in $PEERS (or pass a copy of it as PEERS_DIR)" >&2
fi
