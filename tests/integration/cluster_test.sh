#!/usr/bin/env bash
# scripts/cluster end to end: up starts PostgreSQL, the S3/SQS emulator and seven processes; the
# product works through the gateway (sign-up, upload, processing by a worker, answers from
# analytics); status lists every process; up again starts only what is missing; down leaves
# nothing running.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
export INSIGHTSTREAM_BINARY=${1:?usage: cluster_test.sh BINARY}
export INSIGHTSTREAM_CLUSTER_DIR=$(mktemp -d /tmp/insightstream-cluster-test.XXXXXX)
export INSIGHTSTREAM_CLUSTER_PORT=$(python3 -c 'import random; print(random.randrange(20000, 32000, 10))')
cluster="$repo/scripts/cluster"
fail() { echo "FAIL: $*" >&2; "$cluster" status >&2 || true; "$cluster" down >/dev/null 2>&1 || true; exit 1; }
trap '"$cluster" down >/dev/null 2>&1 || true' EXIT

url=$("$cluster" up 2>"$INSIGHTSTREAM_CLUSTER_DIR.err") || fail "up: $(cat "$INSIGHTSTREAM_CLUSTER_DIR.err")"
rm -f "$INSIGHTSTREAM_CLUSTER_DIR.err"
[ "$url" = "http://127.0.0.1:$INSIGHTSTREAM_CLUSTER_PORT" ] || fail "up printed $url"
[ "$("$cluster" status | awk '$2 != "-"' | wc -l)" = 7 ] || fail "not every process runs"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
token=$(curl -sf "$url/api/v1/auth/signup" -H 'Content-Type: application/json' \
  -d '{"organization":"Cluster","email":"c@example.com","password":"correct horse battery"}' | json '["access_token"]') \
  || fail "sign-up through the gateway"
printf 'day,region,revenue\n' >"$INSIGHTSTREAM_CLUSTER_DIR/up.csv"
for i in $(seq 1 500); do printf '2026-01-%02d,r%d,%d.50\n' $((i % 28 + 1)) $((i % 5)) "$i"; done >>"$INSIGHTSTREAM_CLUSTER_DIR/up.csv"
id=$(curl -sf "$url/api/v1/datasets?name=c&format=csv" -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' \
  --data-binary @"$INSIGHTSTREAM_CLUSTER_DIR/up.csv" | json '["id"]') || fail "upload through the gateway"
# Ready, then its snapshot (written just after ready; the query and export below read it).
state=""
for _ in $(seq 1 300); do
  state=$(curl -sf "$url/api/v1/datasets/$id" -H "Authorization: Bearer $token" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], (d.get("snapshot") or {}).get("status", "-"))')
  [ "$state" = "ready ready" ] && break
  sleep 0.2
done
[ "$state" = "ready ready" ] || fail "the dataset and its snapshot are $state, not ready"
rows=$(curl -sf "$url/api/v1/datasets/$id/summary" -H "Authorization: Bearer $token" | json '["rows"]')
[ "$rows" = 500 ] || fail "summary says $rows rows"
curl -sf "$url/" | grep -qi '<html' || fail "the dashboard is not served through the gateway"
# The snapshot: written by a worker to S3, read by analytics with its read-only keys, through the
# gateway — a query (region r1: 100 rows, revenue 1.50 + 6.50 + ... + 496.50) and the export.
total=$(curl -sf "$url/api/v1/datasets/$id/query" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"filters":[{"column":"region","op":"eq","value":"r1"}],"measures":[{"agg":"count"},{"column":"revenue","agg":"sum"}]}' |
  json '["rows"][0]') || fail "query through the gateway"
[ "$total" = "{'count': 100, 'sum_revenue': 24900.0}" ] || fail "the query answered $total"
curl -sf -o "$INSIGHTSTREAM_CLUSTER_DIR/snapshot.parquet" "$url/api/v1/datasets/$id/export?format=parquet" \
  -H "Authorization: Bearer $token" || fail "export through the gateway"
[ "$(head -c 4 "$INSIGHTSTREAM_CLUSTER_DIR/snapshot.parquet")" = PAR1 ] || fail "the export is not Parquet"

# One analytics process killed: status shows it, up starts only it again.
before=$("$cluster" status)
kill -9 "$(awk '$1 == "analytics2" {print $2}' <<<"$before")"
sleep 0.3
[ "$("$cluster" status | awk '$1 == "analytics2" {print $2}')" = "-" ] || fail "status does not show analytics2 down"
"$cluster" up >/dev/null || fail "up again"
after=$("$cluster" status)
for role in gateway auth ingest worker1 worker2 analytics1; do
  [ "$(awk -v r=$role '$1 == r {print $2}' <<<"$before")" = "$(awk -v r=$role '$1 == r {print $2}' <<<"$after")" ] \
    || fail "up restarted $role, which was running"
done
[ "$(awk '$1 == "analytics2" {print $2}' <<<"$after")" != "-" ] || fail "up did not restart analytics2"

pids=$("$cluster" status | awk '$2 != "-" {print $2}')
"$cluster" down
for p in $pids; do
  [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat")" != Z ] && fail "process $p still runs after down"
done
[ ! -d "$INSIGHTSTREAM_CLUSTER_DIR" ] || fail "down left $INSIGHTSTREAM_CLUSTER_DIR"
echo "cluster: up, status, restart of one process and down all behave"
