// The migration task's second step, as the template ships it, against a real PostgreSQL 15: the
// database owner (a non-superuser with CREATEROLE, like the RDS master user) applies the
// repository's migrations — standing in for `insightstream migrate`, which the same SQL files
// feed — and then runs the app-login container's script. The app's login role must then log in
// with the password from "Secrets Manager", own nothing, and be held by row-level security.
// Skipped where the PostgreSQL server binaries are missing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { container, REPO_ROOT, synth } from './helpers';

const pgBin = (() => {
  try {
    const dirs = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const d of dirs) {
      const bin = path.join('/usr/lib/postgresql', d, 'bin');
      if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'psql'))) return bin;
    }
  } catch {
    /* no PostgreSQL here */
  }
  return undefined;
})();
const isRoot = process.getuid?.() === 0;

/** As the postgres user when we are root (initdb refuses root). */
function asPg(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  const [c, a] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(c, a, { stdio: 'pipe', env: opts.env ?? process.env }).toString();
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The PostgreSQL part of a migration, as SqlForDialect (src/store/db/migrations.cpp) selects it. */
function postgresSql(sql: string): string {
  let on = true;
  const out: string[] = [];
  for (const line of sql.split('\n')) {
    if (line.startsWith('-- @postgres')) on = true;
    else if (line.startsWith('-- @sqlite')) on = false;
    else if (line.startsWith('-- @all')) on = true;
    else if (on) out.push(line);
  }
  return out.join('\n');
}

describe('app login role (migration task, second container)', { skip: pgBin ? false : 'PostgreSQL server binaries not installed' }, () => {
  let dir = '';
  let port = 0;
  const ownerPassword = 'owner-' + Math.random().toString(36).slice(2);
  const appPassword = `app'"\\ ;$x-` + Math.random().toString(36).slice(2); // quoting is the script's job
  const script: string = container(synth().service, 'insightstream-migrate', 'app-login').Command[0];
  const psqlBin = () => path.join(pgBin!, 'psql');
  const env = (user: string, password: string): NodeJS.ProcessEnv => ({
    PATH: `${pgBin}:${process.env.PATH}`,
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGDATABASE: 'insightstream',
    PGUSER: user,
    PGPASSWORD: password,
    PGSSLMODE: 'disable',
  });
  const sqlAs = (user: string, password: string, sql: string) =>
    spawnSync(psqlBin(), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: env(user, password) });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-pg-'));
    if (isRoot) execFileSync('chown', ['postgres', dir]);
    port = await freePort();
    asPg(path.join(pgBin!, 'initdb'), ['-D', `${dir}/data`, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    asPg(path.join(pgBin!, 'pg_ctl'), ['-D', `${dir}/data`, '-l', `${dir}/server.log`, '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
    // The RDS master user is no superuser: it has CREATEROLE and CREATEDB and owns the database.
    asPg(psqlBin(), ['-X', '-q', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1',
      '-c', `CREATE ROLE insightstream_owner LOGIN CREATEROLE CREATEDB PASSWORD '${ownerPassword}'`,
      '-c', 'CREATE DATABASE insightstream OWNER insightstream_owner']);
    const migrations = path.join(REPO_ROOT, 'src', 'store', 'db', 'migrations');
    for (const f of fs.readdirSync(migrations).filter((n) => n.endsWith('.sql')).sort()) {
      const sql = `BEGIN;\n${postgresSql(fs.readFileSync(path.join(migrations, f), 'utf8'))}\nCOMMIT;\n`;
      const r = spawnSync(psqlBin(), ['-X', '-q', '-v', 'ON_ERROR_STOP=1'], { env: env('insightstream_owner', ownerPassword), input: sql });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    }
  });

  after(() => {
    if (!dir) return;
    try {
      asPg(path.join(pgBin!, 'pg_ctl'), ['-D', `${dir}/data`, '-m', 'immediate', '-w', 'stop']);
    } catch {
      /* already down */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const runScript = (password: string | undefined) =>
    spawnSync('sh', ['-c', script], {
      env: { ...env('insightstream_owner', ownerPassword), ...(password === undefined ? {} : { APP_DB_PASSWORD: password }) },
    });

  it('creates the login role with the secret password, and can run again', () => {
    for (let i = 0; i < 2; i++) {
      const r = runScript(appPassword);
      assert.equal(r.status, 0, r.stderr.toString());
      assert.match(r.stdout.toString(), /app login role ready: insightstream_app, member of insightstream_service/);
    }
    const who = sqlAs('insightstream_app', appPassword, 'SELECT current_user');
    assert.equal(who.status, 0, who.stderr.toString());
    assert.equal(who.stdout.toString().trim(), 'insightstream_app');
    assert.notEqual(sqlAs('insightstream_app', 'wrong', 'SELECT 1').status, 0, 'a wrong password is refused');
  });

  it('sets a new password when the secret changes (manual rotation)', () => {
    const rotated = appPassword + '-2';
    assert.equal(runScript(rotated).status, 0);
    assert.equal(sqlAs('insightstream_app', rotated, 'SELECT 1').status, 0);
    assert.notEqual(sqlAs('insightstream_app', appPassword, 'SELECT 1').status, 0, 'the old password no longer works');
    assert.equal(runScript(appPassword).status, 0);
  });

  it('refuses to run without the password', () => {
    const r = runScript(undefined);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.toString(), /APP_DB_PASSWORD is not set/);
  });

  it('leaves the app role owning nothing, no superuser, and held by row-level security', () => {
    const q = (sql: string) => {
      const r = sqlAs('insightstream_app', appPassword, sql);
      return { ok: r.status === 0, out: r.stdout.toString().trim(), err: r.stderr.toString() };
    };
    assert.equal(q(`SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = current_user`).out, '0');
    assert.equal(q(`SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user`).out, 'f');
    // Written by the owner for two tenants; the app sees only the tenant its transaction names.
    const seed = sqlAs('insightstream_owner', ownerPassword,
      `BEGIN; SET LOCAL app.tenant_id = 't1'; INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'One', 0); COMMIT;
       BEGIN; SET LOCAL app.tenant_id = 't2'; INSERT INTO tenants (id, name, created_at) VALUES ('t2', 'Two', 0); COMMIT;`);
    assert.equal(seed.status, 0, seed.stderr.toString());
    assert.equal(q(`SELECT count(*) FROM tenants`).out, '0', 'no tenant set: no rows');
    assert.equal(q(`BEGIN; SET LOCAL app.tenant_id = 't1'; SELECT string_agg(id, ',') FROM tenants; COMMIT;`).out, 't1');
    const cross = q(`BEGIN; SET LOCAL app.tenant_id = 't1'; INSERT INTO tenants (id, name, created_at) VALUES ('t3', 'x', 0); COMMIT;`);
    assert.equal(cross.ok, false);
    assert.match(cross.err, /row-level security/);
    assert.equal(q(`ALTER TABLE tenants DISABLE ROW LEVEL SECURITY`).ok, false, 'cannot switch the policy off');
    assert.equal(q(`CREATE TABLE mine (x int)`).ok, false, 'cannot create tables in the schema');
  });
});
