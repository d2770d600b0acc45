// The second step of the migration task: after `insightstream migrate` (run as the database
// owner) has created the NOLOGIN group role insightstream_service and granted it the tables, make
// sure the application's login role exists, has the password stored in Secrets Manager, and is a
// member of that group — and nothing more: it owns no table and is no superuser, so row-level
// security (ENABLE + FORCE) applies to every query the services make.
//
// It runs in a stock PostgreSQL client image (psql 15+: `\getenv`), connected as the owner
// through the PG* environment variables; the new password comes from APP_DB_PASSWORD and never
// appears on a command line (`\getenv` reads it, `format(%L)` quotes it).
import { DB_APP_USER, DB_SERVICE_ROLE } from './config';

export const APP_LOGIN_SQL = [
  `\\set ON_ERROR_STOP on`,
  `SET client_min_messages TO warning;`,
  `\\getenv app_password APP_DB_PASSWORD`,
  `SELECT format('CREATE ROLE %I LOGIN', '${DB_APP_USER}') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${DB_APP_USER}') \\gexec`,
  // No attribute beyond LOGIN: NOSUPERUSER and NOBYPASSRLS are the defaults, and naming them
  // would need a superuser, which the RDS owner is not.
  `SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', '${DB_APP_USER}', :'app_password') \\gexec`,
  `GRANT ${DB_SERVICE_ROLE} TO ${DB_APP_USER};`,
  `SELECT 'app login role ready: ' || r.rolname || ', member of ${DB_SERVICE_ROLE}' FROM pg_roles r WHERE r.rolname = '${DB_APP_USER}' AND pg_has_role(r.rolname, '${DB_SERVICE_ROLE}', 'MEMBER');`,
].join('\n');

/** The container's shell script (entry point `sh -c`). */
export const APP_LOGIN_SCRIPT = [
  'set -eu',
  ': "${APP_DB_PASSWORD:?APP_DB_PASSWORD is not set}"',
  "psql -X -q -A -t <<'SQL'",
  APP_LOGIN_SQL,
  'SQL',
].join('\n');
