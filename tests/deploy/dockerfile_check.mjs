// Checks the Dockerfile without building it (no Docker engine where the tests run):
//   1. dockerfile-utils (the validator of the Docker language server) reports nothing: unknown
//      instructions or flags, bad JSON forms, malformed variables, ...;
//   2. the image it describes: a build stage on debian:12, the runtime stage last on
//      debian:12-slim, a non-root numeric USER, a HEALTHCHECK on /healthz, the binary as the
//      ENTRYPOINT and a role as the CMD, port 8080, the binary and the dashboard copied from their
//      stages, every file it COPYs from the context present, no secret baked into ENV or ARG.
// (tests/deploy/image_libraries.sh checks the runtime stage's packages.)
//
//   node dockerfile_check.mjs [--self-test] DOCKERFILE     --self-test: broken copies must fail
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

const ROLES = new Set(['all', 'gateway', 'auth', 'ingest', 'worker', 'analytics', 'migrate']);
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|PRIVATE_KEY/i;

// .dockerignore patterns (Go filepath.Match plus `**`, as Docker reads them) as regular expressions.
function ignoreRules(dockerignore) {
  return dockerignore.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const negated = l.startsWith('!');
    const pattern = (negated ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
    const re = pattern.split('/').map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))).join('/');
    return { negated, re: new RegExp(`^${re.replace(/^\.\*\//, '(.*/)?')}$`), pattern: l };
  });
}

// Whether the build context leaves `path` (or a folder above it) out.
function ignoredBy(rules, path) {
  const parts = path.replace(/^\.\/|\/+$/g, '').split('/');
  let hit = null;
  for (let n = 1; n <= parts.length; n++) {
    const prefix = parts.slice(0, n).join('/');
    for (const r of rules) if (r.re.test(prefix)) hit = r.negated ? null : r.pattern;
  }
  return hit;
}

/** Problems found in the Dockerfile text (empty: good). `root` is the build context. */
export function checkDockerfile(text, root, dockerignore = existsSync(join(root, '.dockerignore')) ? readFileSync(join(root, '.dockerignore'), 'utf8') : '') {
  const rules = ignoreRules(dockerignore);
  const problems = [];
  const fail = (m) => problems.push(m);

  for (const d of validate(text, {})) {
    fail(`dockerfile-utils (line ${d.range.start.line + 1}): ${d.message}`);
  }

  const dockerfile = DockerfileParser.parse(text);
  const stages = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') stages.push({ from: instruction, instructions: [] });
    if (stages.length === 0) continue; // ARG before the first FROM
    stages.at(-1).instructions.push(instruction);
  }
  if (stages.length < 2) {
    fail(`${stages.length} stage(s): a build stage and a runtime stage are expected`);
    return problems;
  }
  const names = new Map(stages.map((s, i) => [s.from.getBuildStage() ?? String(i), s]));
  const image = (s) => s.from.getImage() ?? '';
  if (!stages.slice(0, -1).some((s) => /^debian:12(@|$)/.test(image(s)))) fail('no build stage on debian:12');
  const runtime = stages.at(-1);
  if (!/^debian:12-slim(@|$)/.test(image(runtime))) fail(`the last stage (the image) is FROM ${image(runtime)}, not debian:12-slim`);

  const of = (keyword) => runtime.instructions.filter((i) => i.getKeyword() === keyword);
  const args = (i) => (i.getArgumentsContent() ?? '').trim();
  const json = (i) => {
    try {
      return JSON.parse(args(i));
    } catch {
      return null;
    }
  };

  const users = of('USER');
  const user = users.length ? args(users.at(-1)) : 'root';
  const uid = user.split(':')[0];
  if (!/^[0-9]+$/.test(uid) || uid === '0') {
    fail(`the image runs as USER ${user}: a numeric non-root uid is expected (orchestrators check it without /etc/passwd)`);
  }

  const healthchecks = of('HEALTHCHECK');
  if (healthchecks.length !== 1) fail(`${healthchecks.length} HEALTHCHECK instructions in the runtime stage, 1 expected`);
  else if (!/\bCMD\b.*\/healthz\b/.test(args(healthchecks[0]))) fail(`HEALTHCHECK does not probe /healthz: ${args(healthchecks[0])}`);

  const entrypoints = of('ENTRYPOINT');
  const entrypoint = entrypoints.length ? json(entrypoints.at(-1)) : null;
  if (!Array.isArray(entrypoint) || entrypoint.length !== 1 || !entrypoint[0].endsWith('/insightstream')) {
    fail(`ENTRYPOINT is not the binary in JSON form (["/usr/local/bin/insightstream"]): ${entrypoints.length ? args(entrypoints.at(-1)) : 'none'}`);
  }
  const cmds = of('CMD');
  const cmd = cmds.length ? json(cmds.at(-1)) : null;
  if (!Array.isArray(cmd) || !ROLES.has(cmd[0])) fail(`CMD is not a role in JSON form (["all"]): ${cmds.length ? args(cmds.at(-1)) : 'none'}`);

  if (!of('EXPOSE').some((i) => args(i).split(/\s+/).some((p) => p.split('/')[0] === '8080'))) fail('EXPOSE 8080 is missing');
  const env = of('ENV').map(args).join(' ');
  if (!/INSIGHTSTREAM_LISTEN=0\.0\.0\.0:8080\b/.test(env)) fail('ENV INSIGHTSTREAM_LISTEN=0.0.0.0:8080 is missing (the default listens on loopback only)');

  // The binary and the dashboard come from earlier stages.
  const flag = (i, name) => (i.getFlags?.() ?? []).find((f) => f.getName() === name)?.getValue() ?? null;
  const fromStage = (pattern) => of('COPY').some((i) => {
    const stage = flag(i, 'from');
    return stage !== null && names.has(stage) && pattern.test(args(i).split(/\s+/)[0]);
  });
  if (!fromStage(/\/insightstream$/)) fail('the runtime stage copies no insightstream binary from a build stage');
  if (!fromStage(/\/web\/dist\/?$/)) fail('the runtime stage copies no web/dist from a stage');

  // Every file copied from the build context exists; no secret in ENV or ARG anywhere.
  for (const stage of stages) {
    for (const i of stage.instructions) {
      const keyword = i.getKeyword();
      if ((keyword === 'COPY' || keyword === 'ADD') && flag(i, 'from') === null) {
        const parts = args(i).split(/\s+/);
        for (const source of parts.slice(0, -1)) {
          if (!existsSync(join(root, source))) fail(`line ${i.getRange().start.line + 1}: ${keyword} ${source}: not in the build context`);
          const rule = ignoredBy(rules, source);
          if (rule) fail(`line ${i.getRange().start.line + 1}: ${keyword} ${source}: left out of the build context by .dockerignore (${rule})`);
        }
      }
      if (keyword === 'ENV' || keyword === 'ARG') {
        for (const name of args(i).split(/\s+/).map((p) => p.split('=')[0])) {
          if (SECRET_NAME.test(name) && !name.endsWith('_FILE')) fail(`line ${i.getRange().start.line + 1}: ${keyword} ${name}: secrets never go into an image`);
        }
      }
    }
  }
  return problems;
}

const BROKEN = [
  { name: 'an unknown instruction', expect: 'Unknown instruction', edit: (t) => t.replace(/^EXPOSE 8080$/m, 'EXPOS 8080') },
  { name: 'an unknown HEALTHCHECK flag', expect: 'Unknown flag', edit: (t) => t.replace('HEALTHCHECK --interval=', 'HEALTHCHECK --intervall=') },
  { name: 'running as root', expect: 'numeric non-root uid', edit: (t) => t.replace(/^USER .*$/m, 'USER root') },
  { name: 'no health check', expect: 'HEALTHCHECK instructions', edit: (t) => t.replace(/^HEALTHCHECK [\s\S]*?\|\| exit 1\n/m, '') },
  { name: 'a runtime stage on the full image', expect: 'not debian:12-slim', edit: (t) => t.replace('FROM debian:12-slim AS runtime', 'FROM debian:12 AS runtime') },
  { name: 'a shell-form ENTRYPOINT', expect: 'ENTRYPOINT is not the binary', edit: (t) => t.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT /usr/local/bin/insightstream') },
  { name: 'a secret baked in', expect: 'secrets never go into an image', edit: (t) => t.replace(/^ENV INSIGHTSTREAM_LISTEN/m, 'ENV INSIGHTSTREAM_DATABASE_PASSWORD=x \\\n    INSIGHTSTREAM_LISTEN') },
  { name: 'a file missing from the context', expect: 'not in the build context', edit: (t) => t.replace('COPY CMakeLists.txt ./', 'COPY CMakeLists.txt cmake/ ./') },
  { name: '.dockerignore leaving out docs/ (the OpenAPI document the build embeds)', expect: 'left out of the build context by .dockerignore',
    dockerignore: (d) => `${d}docs/\n` },
  { name: '.dockerignore leaving out every .json', expect: 'left out of the build context by .dockerignore',
    dockerignore: (d) => `${d}**/*.json\n` },
];

function main(argv) {
  const selfTest = argv.includes('--self-test');
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length !== 1) {
    console.error('usage: node dockerfile_check.mjs [--self-test] DOCKERFILE');
    return 2;
  }
  const file = resolve(files[0]);
  const root = dirname(file);
  const text = readFileSync(file, 'utf8');
  const problems = checkDockerfile(text, root);
  if (problems.length) {
    console.error(`dockerfile_check: FAIL: ${file}:\n  - ${problems.join('\n  - ')}`);
    return 1;
  }
  console.log(`dockerfile_check: OK: ${file} (dockerfile-utils clean; slim non-root runtime stage with HEALTHCHECK, ENTRYPOINT, CMD)`);
  if (!selfTest) return 0;
  let wrong = 0;
  for (const broken of BROKEN) {
    const edited = broken.dockerignore ? `${text}\n` : broken.edit(text);
    if (edited === text) { console.error(`dockerfile_check: self-test "${broken.name}": the edit matched nothing`); wrong++; continue; }
    const found = checkDockerfile(broken.dockerignore ? text : edited, root,
      broken.dockerignore ? broken.dockerignore(readFileSync(join(root, '.dockerignore'), 'utf8')) : undefined);
    const hit = found.find((p) => p.includes(broken.expect));
    if (!hit) { console.error(`dockerfile_check: self-test "${broken.name}": not refused for "${broken.expect}": ${JSON.stringify(found)}`); wrong++; }
    else console.log(`dockerfile_check: self-test ok: ${broken.name} is refused (${hit})`);
  }
  if (wrong) { console.error(`dockerfile_check: self-test: ${wrong} case(s) wrong`); return 1; }
  console.log(`dockerfile_check: self-test OK: ${BROKEN.length} broken copies refused`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
