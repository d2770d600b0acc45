#!/usr/bin/env bash
# Issue 16, part 4 — many tenants at once. Against `insightstream all` or the local cluster
# (scripts/cluster): ORGS organizations each upload 2 files of ~10 MB at the same moment while
# wrk reads analytics (summary, timeseries, groups; cached and uncached) on 200 connections for
# 60 s; the RSS of every server process is sampled throughout. One report, printed and saved.
#
#   bench/load/run.sh all|cluster [OUT_DIR]
#
# Environment (defaults): INSIGHTSTREAM_BINARY (build/release/src/insightstream), ORGS (50),
# PER_ORG (2 uploads each), ROWS (85000 rows of gen_sales.py, ~9.9 MB), CONNS (200), THREADS (2),
# SECS (60), MISS_PERCENT (30: share of reads with fresh parameters, see reads.lua),
# UPLOAD_DELAY (5: seconds of reads before the uploads start), INSIGHTSTREAM_CLUSTER_PORT (8700).
# Needs wrk (apt), python3; for `cluster`, what scripts/cluster needs (PostgreSQL, moto_server).
# Results: OUT_DIR (default /tmp/insightstream-load-TARGET-DATE): report.txt, wrk.txt,
# uploads.json (every upload), rss.json, the server logs.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
here=$repo/bench/load
target=${1:-}
[ "$target" = all ] || [ "$target" = cluster ] || { echo "usage: bench/load/run.sh all|cluster [OUT_DIR]" >&2; exit 2; }
out=${2:-/tmp/insightstream-load-$target-$(date +%Y%m%d-%H%M%S)}
bin=${INSIGHTSTREAM_BINARY:-$repo/build/release/src/insightstream}
orgs=${ORGS:-50} per_org=${PER_ORG:-2} rows=${ROWS:-85000}
conns=${CONNS:-200} threads=${THREADS:-2} secs=${SECS:-60} miss=${MISS_PERCENT:-30} delay=${UPLOAD_DELAY:-5}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$bin" ] || { echo "no binary at $bin (set INSIGHTSTREAM_BINARY)" >&2; exit 2; }
mkdir -p "$out"
work=$(mktemp -d /tmp/insightstream-load.XXXXXX)
chmod 755 "$work"  # PostgreSQL (its own user) must reach the cluster directory inside

# The limits, for this bench only, through the binary's environment variables (the cluster's roles
# inherit them from `scripts/cluster up`; `all` reads the same ones):
# - every sign-up comes from 127.0.0.1 (through the gateway too: the roles trust its
#   X-Forwarded-For, which is 127.0.0.1): the default of 20 sign-ups an hour per address would
#   refuse 30 of the 50 organizations.
export INSIGHTSTREAM_SIGNUP_RATE_LIMIT=100000
# - tokens must outlive set-up plus the run (the default is 15 minutes).
export INSIGHTSTREAM_ACCESS_TOKEN_TTL=7200
# - every request of the 200 read connections comes from one address, where a real deployment
#   has one address per user: no per-address request limit (0 is also the default; set so that a
#   changed default does not silently throttle the bench).
export INSIGHTSTREAM_CLIENT_RATE_LIMIT=0
# Left at their defaults, because the load fits: --max-concurrent-uploads-per-org 8 (2 at once
# here), --max-concurrent-uploads 256 (100 here), --quota-uploads-per-minute 60 (3 per org),
# --quota-storage-bytes 100 GiB, --min-upload-rate 1024 B/s.
export INSIGHTSTREAM_LOG_LEVEL=${INSIGHTSTREAM_LOG_LEVEL:-info}

pids=()
cluster_dir=$work/cluster
cleanup() {
  set +e
  [ -n "${rss_pid:-}" ] && kill -TERM "$rss_pid" 2>/dev/null
  [ -n "${wrk_pid:-}" ] && kill "$wrk_pid" 2>/dev/null
  if [ "$target" = all ]; then
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    cp "$work/server.log" "$out/server.log" 2>/dev/null
  else
    mkdir -p "$out/logs" && cp "$cluster_dir"/logs/*.log "$out/logs/" 2>/dev/null
    INSIGHTSTREAM_CLUSTER_DIR=$cluster_dir INSIGHTSTREAM_BINARY=$bin scripts/cluster down >/dev/null 2>&1
    cp "$cluster_dir"/logs/*.log "$out/logs/" 2>/dev/null  # the shutdown lines too, when the dir survived
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The files: one small warm-up file, one ~10 MB file every upload sends.
gen=$repo/../shared/bench/gen_sales.py
[ -f "$gen" ] || gen=/work/shared/bench/gen_sales.py
python3 "$gen" --rows 3000 --out "$work/warm.csv" --seed 7
python3 "$gen" --rows "$rows" --out "$work/upload.csv"

# The target.
declare -A procs
if [ "$target" = all ]; then
  "$bin" all --listen 127.0.0.1:0 --data-dir "$work/data" 2>"$work/server.log" &
  pids+=($!)
  port=
  for _ in $(seq 1 200); do
    port=$(grep -o '"event":"server.listening".*"port":[0-9]*' "$work/server.log" 2>/dev/null | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "the server did not start:"; cat "$work/server.log"; exit 1; } >&2
  base=http://127.0.0.1:$port
  procs[all]=${pids[0]}
else
  export INSIGHTSTREAM_CLUSTER_PORT=${INSIGHTSTREAM_CLUSTER_PORT:-8700}
  base=$(INSIGHTSTREAM_CLUSTER_DIR=$cluster_dir INSIGHTSTREAM_BINARY=$bin scripts/cluster up | tail -1)
  while read -r role pid _; do [ "$pid" != - ] && procs[$role]=$pid; done \
    < <(INSIGHTSTREAM_CLUSTER_DIR=$cluster_dir scripts/cluster status)
  # The backing services share the 2 cores: their memory is reported too.
  pg=$(head -1 "$cluster_dir"/pg/data/postmaster.pid 2>/dev/null || true)
  [ -n "$pg" ] && procs[postgres]=tree:$pg
  moto=$(cat "$cluster_dir/aws/pid" 2>/dev/null || true)
  [ -n "$moto" ] && procs[moto_server]=$moto
fi
for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
echo "target $target at $base (processes: $(for k in "${!procs[@]}"; do printf '%s=%s ' "$k" "${procs[$k]}"; done))"

python3 "$here/setup.py" --base "$base" --orgs "$orgs" --warm "$work/warm.csv" --out "$out"

rss_args=()
for k in "${!procs[@]}"; do rss_args+=("$k=${procs[$k]}"); done
python3 "$here/rss.py" --out "$out/rss.json" "${rss_args[@]}" &
rss_pid=$!

cat >"$out/meta.json" <<EOF
{"target": "$target", "date": "$(date -u +%FT%TZ)", "binary": "$bin", "orgs": $orgs, "threads": $threads,
 "connections": $conns, "seconds": $secs, "miss_percent": $miss, "base": "$base",
 "wrk_wall_start": $(date +%s.%N)}
EOF
# SECS=0: uploads alone; PER_ORG=0: reads alone (to tell apart what each costs the other).
if [ "$secs" -gt 0 ]; then
  wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency -s "$here/reads.lua" "$base" -- "$out/targets.txt" "$miss" \
    >"$out/wrk.txt" 2>&1 &
  wrk_pid=$!
  sleep "$delay"
else
  : >"$out/wrk.txt"
fi
python3 "$here/uploads.py" --targets "$out/targets.json" --file "$work/upload.csv" --per-org "$per_org" \
  --out "$out/uploads.json"
if [ -n "${wrk_pid:-}" ]; then
  wait "$wrk_pid" || { echo "wrk failed:"; cat "$out/wrk.txt"; exit 1; } >&2
fi
wrk_pid=
kill -TERM "$rss_pid"; wait "$rss_pid" || true
rss_pid=
python3 "$here/report.py" "$out"
echo "saved in $out"
