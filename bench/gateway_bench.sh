#!/usr/bin/env bash
# The gateway in the upload path: SIZE MiB of CSV-shaped data (generated on the fly, so no disk
# limits the figure) streamed with curl (chunked, Expect: 100-continue) straight into
# `insightstream all`, then through `insightstream gateway` in front of it; MB/s of each and the
# peak RSS of the gateway and the service, to show the gateway's memory stays flat.
#   bench/gateway_bench.sh [SIZE_MIB] [BINARY]
set -eu
cd "$(dirname "$0")/.."
mib=${1:-1024}
bin=${2:-build/release/src/insightstream}
[ -x "$bin" ] || { echo "build the Release binary first (bench/README.md)" >&2; exit 1; }
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.05; done; exit 1; }
hwm() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

all_port=$(free_port)
"$bin" all --listen "127.0.0.1:$all_port" --data-dir "$dir/all" --quota-storage-bytes 0 2>"$dir/all.log" &
all_pid=$!; pids+=("$all_pid")
wait_up "$all_port"
gw_port=$(free_port)
up="http://127.0.0.1:$all_port"
"$bin" gateway --listen "127.0.0.1:$gw_port" --data-dir "$dir/gateway" --upstream "auth=$up" --upstream "ingest=$up" \
  --upstream "analytics=$up" 2>"$dir/gateway.log" &
gw_pid=$!; pids+=("$gw_pid")
wait_up "$gw_port"
token=$(curl -sf "http://127.0.0.1:$gw_port/api/v1/auth/signup" -H 'Content-Type: application/json' \
  -d '{"organization":"Bench","email":"bench@example.com","password":"correct horse battery"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

upload() {  # PORT NAME -> milliseconds
  local start end
  start=$(date +%s%N)
  yes '2024-03-01,north,online,widget,12.50,3' | head -c $((mib << 20)) |
    curl -sS -o "$dir/$2.json" -X POST -T - -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' \
      "http://127.0.0.1:$1/api/v1/datasets?name=$2&format=csv"
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))  # ms
}
echo "upload of $mib MiB, curl -T - (chunked, Expect: 100-continue)"
echo "gateway RSS before: $(hwm "$gw_pid") MiB"
direct=$(upload "$all_port" direct)
echo "straight into all:   $(( mib * 1048576 / 1000 / direct )) MB/s"
via=$(upload "$gw_port" gateway)
echo "through the gateway: $(( mib * 1048576 / 1000 / via )) MB/s"
grep -q '"id"' "$dir/gateway.json" || { echo "the upload through the gateway failed: $(cat "$dir/gateway.json")" >&2; exit 1; }
echo "peak RSS: gateway $(hwm "$gw_pid") MiB, all $(hwm "$all_pid") MiB"
