#!/usr/bin/env bash
# Cached analytics answers versus a static file: requests per second and p99 latency with wrk for
#   GET /api/v1/datasets/{id}/summary   (insightstream all, authenticated, cached)
#   GET /summary.json                   (nginx serving the same bytes from disk)
# on the same machine, one after the other.
#   bench/analytics_bench.sh [BINARY] [CSV] [SECONDS]
set -euo pipefail
BIN=${1:-build/release/src/insightstream}
CSV=${2:-}
SECS=${3:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx (apt-get install wrk nginx)" >&2; exit 2; }
DIR=$(mktemp -d)
trap 'kill $(cat $DIR/is.pid 2>/dev/null) 2>/dev/null || true; [ -f $DIR/nginx.pid ] && kill $(cat $DIR/nginx.pid) 2>/dev/null || true; rm -rf $DIR' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ -z "$CSV" ]; then
  CSV=$DIR/sales.csv
  python3 "$(dirname "$0")/../../shared/bench/gen_sales.py" --rows 100000 --out "$CSV"
fi
PORT=$(free_port)
"$BIN" all --listen 127.0.0.1:$PORT --data-dir $DIR/data --log-level warn --login-rate-limit 1000 2>$DIR/is.log &
echo $! > $DIR/is.pid
for _ in $(seq 100); do curl -sf localhost:$PORT/readyz >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf localhost:$PORT/api/v1/auth/signup -H 'Content-Type: application/json' \
  -d '{"organization":"Bench","email":"bench@example.com","password":"benchmark password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
ID=$(curl -sf "localhost:$PORT/api/v1/datasets?name=bench&format=csv" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: text/csv' --data-binary @"$CSV" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 600); do
  curl -sf localhost:$PORT/api/v1/datasets/$ID -H "Authorization: Bearer $TOKEN" | grep -q '"status":"ready"' && break
  sleep 0.2
done
URL=http://127.0.0.1:$PORT/api/v1/datasets/$ID/summary
curl -sf "$URL" -H "Authorization: Bearer $TOKEN" > $DIR/summary.json
BYTES=$(stat -c %s $DIR/summary.json)
NPORT=$(free_port)
mkdir -p $DIR/www && cp $DIR/summary.json $DIR/www/summary.json
cat > $DIR/nginx.conf <<CONF
worker_processes auto;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NPORT;
    root $DIR/www;
    location / { default_type application/json; }
  }
}
CONF
nginx -c $DIR/nginx.conf -p $DIR
sleep 0.3
run() {  # name, url, [header]
  local out
  if [ -n "${3:-}" ]; then out=$(wrk -t$THREADS -c$CONNS -d${SECS}s --latency -H "$3" "$2"); else out=$(wrk -t$THREADS -c$CONNS -d${SECS}s --latency "$2"); fi
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  printf '%-28s %12s req/s   p99 %8s   (%d-byte body, %d connections, %ss)\n' "$1" "$rps" "$p99" "$BYTES" "$CONNS" "$SECS"
  echo "$rps" > $DIR/rps_$1
}
curl -sf "$URL" -H "Authorization: Bearer $TOKEN" >/dev/null  # warm the cache
run insightstream_summary "$URL" "Authorization: Bearer $TOKEN"
run nginx_static "http://127.0.0.1:$NPORT/summary.json"
python3 -c "a=float(open('$DIR/rps_insightstream_summary').read()); b=float(open('$DIR/rps_nginx_static').read()); print('ratio insightstream/nginx: %.2f' % (a/b))"
