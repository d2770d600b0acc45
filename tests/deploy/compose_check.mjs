// Checks a Compose file of the project (deploy/compose.yaml):
//   1. against the Compose Specification's JSON schema and dclint's rules (dclint, the schema it
//      ships; rule levels in dclintrc.json): a file Docker Compose would refuse fails here;
//   2. structurally, on the parsed file with its YAML merge keys resolved: the roles all run the
//      one image built from ../Dockerfile, only the gateway publishes ports, every role has a
//      health check on /healthz, the start order waits for health / completion, secrets are
//      never in clear in the environment, the files it mounts exist, and the values that must
//      agree between services (moto's free requests, the redrive count, the object store, the
//      upstreams) do; analytics is given no queue.
//
//   node compose_check.mjs FILE [--project-dir DIR]   DIR: where relative paths start (FILE's folder)
//   node compose_check.mjs --self-test FILE           FILE must pass, and broken copies must fail
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { DCLinter } from 'dclint';
import { parse } from 'yaml';

const here = dirname(new URL(import.meta.url).pathname);
const dclintConfig = JSON.parse(readFileSync(join(here, 'dclintrc.json'), 'utf8'));
delete dclintConfig.$schema;

// The process roles of the binary (README.md, Commands) and the one-shot migration.
const ROLES = ['gateway', 'auth', 'ingest', 'worker', 'analytics'];
const APP_SERVICES = [...ROLES, 'migrate'];
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|PRIVATE_KEY/i;

function exists(path) {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function asList(v) {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function environmentOf(service) {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((e) => { const i = String(e).indexOf('='); return i < 0 ? [e, null] : [e.slice(0, i), e.slice(i + 1)]; }));
}

function dependsOn(service) {
  const d = service.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, { condition: 'service_started' }]));
  return d;
}

/** Returns a list of problems (empty: the file is good). */
export function checkCompose(file, projectDir = dirname(file)) {
  const problems = [];
  const fail = (m) => problems.push(m);

  // --- 1. Schema and dclint rules ------------------------------------------------------------
  const linter = new DCLinter({ rules: dclintConfig.rules, quiet: false, debug: false, exclude: [] });
  for (const result of linter.lintFiles([file], false)) {
    for (const m of result.messages) {
      // Warnings count too: every rule kept in dclintrc.json is meant to hold.
      fail(`dclint ${m.rule} (line ${m.line}): ${m.message}`);
    }
  }
  if (problems.some((p) => p.startsWith('dclint invalid-'))) return problems; // nothing to look at

  // --- 2. Structure --------------------------------------------------------------------------
  let doc;
  try {
    doc = parse(readFileSync(file, 'utf8'), { merge: true });
  } catch (e) {
    fail(`YAML: ${e.message}`);
    return problems;
  }
  const services = doc?.services ?? {};
  const names = Object.keys(services);
  for (const name of APP_SERVICES) {
    if (!services[name]) fail(`service "${name}" is missing (every role runs as its own service, plus the migration)`);
  }

  // One image for every role, built from the repository's Dockerfile.
  const reference = services.gateway;
  for (const name of APP_SERVICES.filter((n) => services[n])) {
    const s = services[name];
    if (!s.image || !s.build) {
      fail(`service "${name}": needs both image and build (the one image, built from ../Dockerfile)`);
      continue;
    }
    if (reference && (s.image !== reference.image || !isDeepStrictEqual(s.build, reference.build))) {
      fail(`service "${name}": image/build differ from the gateway's (${JSON.stringify({ image: s.image, build: s.build })}): every role runs the one image`);
    }
    const build = typeof s.build === 'string' ? { context: s.build } : s.build;
    const context = resolve(projectDir, build.context ?? '.');
    const dockerfile = resolve(context, build.dockerfile ?? 'Dockerfile');
    if (!exists(join(context, 'CMakeLists.txt')) || !exists(join(context, 'src'))) {
      fail(`service "${name}": build context ${context} is not the repository root`);
    }
    if (!exists(dockerfile)) fail(`service "${name}": Dockerfile ${dockerfile} does not exist`);
  }
  for (const role of ROLES.filter((n) => services[n])) {
    const command = asList(services[role].command);
    if (command[0] !== role) fail(`service "${role}": command ${JSON.stringify(command)} does not run the ${role} role`);
  }
  if (services.migrate && asList(services.migrate.command)[0] !== 'migrate') {
    fail('service "migrate": command is not ["migrate"]');
  }

  // Only the gateway is reachable from outside.
  for (const name of names) {
    const s = services[name];
    if (name !== 'gateway' && asList(s.ports).length > 0) fail(`service "${name}" publishes ports ${JSON.stringify(s.ports)}: only the gateway may`);
    if (s.network_mode === 'host') fail(`service "${name}" uses the host's network: only the gateway may be reachable`);
  }
  const gatewayPorts = asList(services.gateway?.ports);
  if (gatewayPorts.length === 0) fail('service "gateway" publishes no port');
  for (const p of gatewayPorts) {
    const target = typeof p === 'object' ? String(p.target) : String(p).split(':').pop().split('/')[0];
    if (target !== '8080') fail(`service "gateway": published port ${JSON.stringify(p)} does not reach the container's 8080`);
  }

  // Health checks: every role, on /healthz; every long-running service has one.
  for (const name of names) {
    const s = services[name];
    const hc = s.healthcheck;
    const oneShot = s.restart === 'no' && (name === 'migrate' || name.endsWith('-setup'));
    if (ROLES.includes(name)) {
      if (!hc || hc.disable || !hc.test) {
        fail(`service "${name}": no health check (every role has one, on /healthz)`);
      } else if (!asList(hc.test).join(' ').includes('/healthz')) {
        fail(`service "${name}": health check ${JSON.stringify(hc.test)} does not probe /healthz`);
      }
    } else if (!oneShot && (!hc || hc.disable || !hc.test)) {
      fail(`service "${name}": no health check (the start order waits on it)`);
    }
  }

  // Start order: every dependency exists, and is waited for by health or by completion.
  const completedOnly = new Set(names.filter((n) => services[n].restart === 'no' && (!services[n].healthcheck?.test || services[n].healthcheck?.disable)));
  for (const name of names) {
    for (const [dep, spec] of Object.entries(dependsOn(services[name]))) {
      if (!services[dep]) { fail(`service "${name}" depends on "${dep}", which does not exist`); continue; }
      const want = completedOnly.has(dep) ? 'service_completed_successfully' : 'service_healthy';
      if (spec?.condition !== want) fail(`service "${name}": depends_on "${dep}" with condition ${spec?.condition}, expected ${want}`);
    }
  }
  // Transitively: every role after the migration; the roles that verify tokens after auth
  // (it publishes the signing keys); the roles with an IAM user after the emulator's setup.
  const after = (name, target, seen = new Set()) => {
    if (seen.has(name)) return false;
    seen.add(name);
    const deps = Object.keys(dependsOn(services[name] ?? {}));
    return deps.includes(target) || deps.some((d) => after(d, target, seen));
  };
  for (const role of ROLES.filter((n) => services[n])) {
    if (services.migrate && !after(role, 'migrate')) fail(`service "${role}" may start before the migration completed`);
    if (role !== 'auth' && services.auth && !after(role, 'auth')) fail(`service "${role}" may start before auth is healthy`);
  }
  for (const role of ['ingest', 'worker', 'analytics'].filter((n) => services[n])) {
    if (services['aws-setup'] && !after(role, 'aws-setup')) fail(`service "${role}" may start before aws-setup created its IAM user`);
  }

  // Secrets: never a value in clear; compose secrets exist and come from ignored files.
  const declared = doc?.secrets ?? {};
  for (const name of names) {
    const s = services[name];
    for (const [key, value] of Object.entries(environmentOf(s))) {
      if (SECRET_NAME.test(key) && !key.endsWith('_FILE') && value !== null && value !== undefined && value !== '') {
        fail(`service "${name}": environment ${key} holds a secret in clear; use a compose secret and ${key}_FILE`);
      }
      if (key.endsWith('_FILE') && SECRET_NAME.test(key) && !String(value).startsWith('/run/secrets/')) {
        fail(`service "${name}": ${key}=${value} is not a compose secret (/run/secrets/...)`);
      }
    }
    for (const secret of asList(s.secrets)) {
      const secretName = typeof secret === 'object' ? secret.source : secret;
      if (!declared[secretName]) fail(`service "${name}" uses secret "${secretName}", which is not declared`);
    }
    if (asList(s.env_file).length > 0) fail(`service "${name}": env_file is not used here; secrets are compose secrets`);
  }
  let ignored = '';
  const gitignore = resolve(projectDir, '..', '.gitignore');
  if (exists(gitignore)) ignored = readFileSync(gitignore, 'utf8');
  for (const [secretName, spec] of Object.entries(declared)) {
    if (!spec?.file) { fail(`secret "${secretName}" is not read from a file`); continue; }
    const rel = resolve(projectDir, spec.file).slice(resolve(projectDir, '..').length);
    const dir = rel.slice(0, rel.lastIndexOf('/') + 1);
    if (!ignored.split('\n').some((line) => line.trim() === dir || line.trim() === rel)) {
      fail(`secret "${secretName}": ${spec.file} is not in a folder that .gitignore names (${dir})`);
    }
  }

  // Bind-mounted files exist (a missing one becomes an empty directory in the container).
  for (const name of names) {
    for (const v of asList(services[name].volumes)) {
      const source = typeof v === 'object' ? (v.type === 'bind' ? v.source : null) : String(v).split(':')[0];
      if (source && (source.startsWith('.') || source.startsWith('/')) && !exists(resolve(projectDir, source))) {
        fail(`service "${name}": mounts ${source}, which does not exist`);
      }
    }
  }

  // Values that must agree.
  const env = (n) => environmentOf(services[n] ?? {});
  if (services.aws && services['aws-setup']) {
    const free = env('aws').INITIAL_NO_AUTH_ACTION_COUNT;
    const planned = env('aws-setup').INSIGHTSTREAM_SETUP_REQUESTS;
    if (free === undefined || String(free) !== String(planned)) {
      fail(`moto's INITIAL_NO_AUTH_ACTION_COUNT (${free}) differs from aws-setup's INSIGHTSTREAM_SETUP_REQUESTS (${planned})`);
    }
    // The roles that read the object store read the same one; only ingest and worker use the queues.
    const objects = env('worker').INSIGHTSTREAM_OBJECTS;
    for (const role of ['ingest', 'analytics']) {
      if (env(role).INSIGHTSTREAM_OBJECTS !== objects) {
        fail(`service "${role}": INSIGHTSTREAM_OBJECTS (${env(role).INSIGHTSTREAM_OBJECTS}) differs from the worker's (${objects})`);
      }
    }
    for (const key of ['INSIGHTSTREAM_QUEUE', 'INSIGHTSTREAM_DEAD_LETTER_QUEUE']) {
      if (env('analytics')[key] !== undefined) fail(`service "analytics": ${key} is set, but analytics uses no queue`);
    }
    for (const role of ['ingest', 'worker']) {
      const receives = env(role).INSIGHTSTREAM_JOB_MAX_RECEIVES;
      if (String(receives) !== String(env('aws-setup').INSIGHTSTREAM_JOB_MAX_RECEIVES)) {
        fail(`service "${role}": INSIGHTSTREAM_JOB_MAX_RECEIVES (${receives}) differs from the queue's redrive count in aws-setup`);
      }
    }
  }
  const upstreams = String(env('gateway').INSIGHTSTREAM_UPSTREAMS ?? '');
  for (const service of ['auth', 'ingest', 'analytics']) {
    const entry = upstreams.split(';').find((u) => u.startsWith(`${service}=`));
    if (!entry) { fail(`gateway: INSIGHTSTREAM_UPSTREAMS has no ${service}=...`); continue; }
    for (const url of entry.slice(service.length + 1).split(',')) {
      const host = url.replace(/^https?:\/\//, '').split(/[:/]/)[0];
      if (!services[host]) fail(`gateway: upstream ${url} names no service "${host}"`);
    }
  }
  return problems;
}

// Broken copies of the file, each of which must be refused with a message containing `expect`.
const BROKEN = [
  { name: 'an unknown health check key (schema)', expect: 'invalid-schema',
    edit: (t) => t.replace(/^(\s+)interval: 5s$/m, '$1intervall: 5s') },
  { name: 'a depends_on condition the schema does not know', expect: 'invalid-schema',
    edit: (t) => t.replace('condition: service_completed_successfully', 'condition: service_done') },
  { name: 'broken YAML', expect: 'invalid-yaml', edit: (t) => t.replace(/^services:$/m, 'services:\n  - [') },
  { name: 'auth publishing a port', expect: 'only the gateway may',
    edit: (t) => t.replace(/^(  auth:\n)/m, '$1    ports:\n      - "127.0.0.1:8101:8080"\n') },
  { name: 'the worker without a health check', expect: 'no health check',
    edit: (t) => t.replace(/^(  worker:\n)/m, '$1    healthcheck:\n      disable: true\n') },
  { name: 'analytics from another image', expect: 'image/build differ',
    edit: (t) => t.replace(/^(  analytics:\n)/m, '$1    image: insightstream:other\n') },
  { name: 'a password in clear', expect: 'holds a secret in clear',
    edit: (t) => t.replace(/^(      INSIGHTSTREAM_JWT_PRIVATE_KEY_FILE: .*\n)/m, '$1      INSIGHTSTREAM_DATABASE_PASSWORD: hunter2\n') },
  { name: 'analytics not waiting for auth', expect: 'before auth is healthy',
    edit: (t) => t.replace(/^(  analytics:\n[\s\S]*?    depends_on:\n)      auth:\n        condition: service_healthy\n/m, '$1') },
  { name: 'analytics not waiting for its IAM user', expect: 'analytics" may start before aws-setup',
    edit: (t) => t.replace(/^(  analytics:\n[\s\S]*?)      aws-setup:\n        condition: service_completed_successfully\n/m, '$1') },
  { name: 'analytics given the job queue', expect: 'analytics uses no queue',
    edit: (t) => t.replace(/^(  analytics:\n[\s\S]*?<<: \[\*database-env, \*objects-env)\]/m, '$1, *queue-env]') },
  { name: 'ingest waiting for auth only to start, not to be healthy', expect: 'expected service_healthy',
    edit: (t) => t.replace(/^(  ingest:\n[\s\S]*?depends_on:\n      auth:\n        condition: )service_healthy/m, '$1service_started') },
];

function main(argv) {
  const selfTest = argv.includes('--self-test');
  const i = argv.indexOf('--project-dir');
  const projectDirArg = i >= 0 ? argv[i + 1] : undefined;
  const files = argv.filter((a, k) => !a.startsWith('--') && !(i >= 0 && k === i + 1));
  if (files.length !== 1) {
    console.error('usage: node compose_check.mjs [--self-test] FILE [--project-dir DIR]');
    return 2;
  }
  const file = resolve(files[0]);
  const projectDir = resolve(projectDirArg ?? dirname(file));
  const problems = checkCompose(file, projectDir);
  if (problems.length > 0) {
    console.error(`compose_check: FAIL: ${file}:`);
    for (const p of problems) console.error(`  - ${p}`);
    return 1;
  }
  console.log(`compose_check: OK: ${file} (Compose Specification schema and dclint rules; one image, only the gateway published, health checks, start order, secrets)`);
  if (!selfTest) return 0;

  const text = readFileSync(file, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
  let wrong = 0;
  try {
    for (const broken of BROKEN) {
      const edited = broken.edit(text);
      if (edited === text) { console.error(`compose_check: self-test "${broken.name}": the edit matched nothing`); wrong++; continue; }
      const copy = join(dir, 'compose.yaml');
      writeFileSync(copy, edited);
      // Relative paths still start where the real file is.
      const found = checkCompose(copy, projectDir);
      if (found.length === 0) {
        console.error(`compose_check: self-test "${broken.name}": the broken copy passed`); wrong++;
      } else if (!found.some((p) => p.includes(broken.expect))) {
        console.error(`compose_check: self-test "${broken.name}": refused, but not for "${broken.expect}":\n  - ${found.join('\n  - ')}`); wrong++;
      } else {
        console.log(`compose_check: self-test ok: ${broken.name} is refused (${found.find((p) => p.includes(broken.expect))})`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (wrong > 0) { console.error(`compose_check: self-test: ${wrong} case(s) wrong`); return 1; }
  console.log(`compose_check: self-test OK: ${BROKEN.length} broken copies refused`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
