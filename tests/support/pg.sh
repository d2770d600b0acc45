#!/usr/bin/env bash
# A private PostgreSQL 15 for the tests: pg.sh start DIR | pg.sh stop DIR
# start: initdb into DIR/data on a free port, start it, create the test database and roles, and
# write the connection URLs to DIR/admin_url (superuser, for migrations and setup) and
# DIR/app_url (a login role that neither owns the tables nor is a superuser, as the service runs).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$bin/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
start)
  "$0" stop "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  as_pg psql -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p "$port" -U postgres -d postgres <<SQL
CREATE ROLE insightstream_service NOLOGIN;
CREATE ROLE insightstream_app LOGIN IN ROLE insightstream_service;
CREATE DATABASE insightstream_test;
SQL
  echo "postgres://postgres@127.0.0.1:$port/insightstream_test" > "$dir/admin_url"
  echo "postgres://insightstream_app@127.0.0.1:$port/insightstream_test" > "$dir/app_url"
  echo "pg.sh: PostgreSQL on port $port ($dir)"
  ;;
stop)
  [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  ;;
*) echo "usage: pg.sh start|stop DIR" >&2; exit 2 ;;
esac
