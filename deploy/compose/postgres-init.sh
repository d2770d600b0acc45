#!/usr/bin/env bash
# Runs once, when the postgres:15 image initialises an empty data directory (it runs
# /docker-entrypoint-initdb.d/*.sh as the postgres user, with POSTGRES_DB created).
#
# The roles InsightStream needs, none of them a superuser (a superuser bypasses row-level
# security even with FORCE):
#   insightstream_owner    owns the database (so the public schema), runs the migrations;
#   insightstream_service  NOLOGIN, granted the table privileges by the migrations;
#   insightstream_app      what every role logs in as: a member of insightstream_service that owns
#                          nothing, so the tenant policies always apply.
# Passwords come from the compose secrets named by the two *_FILE variables.
set -euo pipefail
owner_password=$(cat "${INSIGHTSTREAM_OWNER_PASSWORD_FILE:?}")
app_password=$(cat "${INSIGHTSTREAM_APP_PASSWORD_FILE:?}")
if [ -z "$owner_password" ] || [ -z "$app_password" ]; then
  echo "postgres-init: an empty password file" >&2
  exit 1
fi
# psql variables (:'name') quote the passwords as SQL literals; they never appear in a command line.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$owner_password" -v app_password="$app_password" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE insightstream_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE insightstream_service NOLOGIN;
CREATE ROLE insightstream_app LOGIN PASSWORD :'app_password' IN ROLE insightstream_service;
ALTER DATABASE :"db" OWNER TO insightstream_owner;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO insightstream_owner, insightstream_service;
SQL
