// End-to-end test of the dashboard through the gateway of the distributed local cluster, in
// headless Chromium.
//
//   INSIGHTSTREAM_BINARY=/path/to/insightstream npm run e2e:cluster     (web/dist built)
//
// `scripts/cluster up` starts PostgreSQL, the S3/SQS emulator and gateway, auth, ingest, two
// workers and two analytics as separate processes (state in a fresh temporary directory, ports
// from a random base). The browser talks to the gateway's URL only: sign up through the form,
// upload a small date/region/revenue CSV, follow its processing (the live event stream, served by
// analytics), wait for Ready, and read the dataset page (rows, total, monthly trend, region
// groups — all answered by analytics). Then analytics1 is killed with SIGKILL and the page,
// reloaded, must still show every panel (analytics2 answers; no request fails). Whatever
// happens, `scripts/cluster down` runs at the end and nothing of the cluster may be left
// running. Screenshots (cluster-*.png, and one per failed step) and, on failure, the roles' logs
// (cluster-logs/) go to INSIGHTSTREAM_E2E_OUT (default ../build/e2e/). Exit code 0 only when
// every check passed.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  LOCALE,
  api,
  check,
  describeError,
  distDir,
  fail,
  failedCount,
  finish,
  fmt,
  launchChromium,
  ok,
  onStepFailure,
  recordProgress,
  repoDir,
  route,
  shotsDir,
  signUp,
  step,
  uploadCsv,
  watchConsole,
} from './ui.mjs';

const clusterScript = path.join(repoDir, 'scripts/cluster');
const ROLES = ['gateway', 'auth', 'ingest', 'worker1', 'worker2', 'analytics1', 'analytics2'];
const ANALYTICS_PATH = /\/api\/v1\/datasets\/[^/]+\/(schema|summary|timeseries|groups|breakdown)\b/;
const EVENTS_PATH = /\/api\/v1\/datasets\/[^/]+\/events\b/;

const OWNER = {
  organization: 'Cluster Co',
  name: 'Clara Cluster',
  email: 'clara@cluster.test',
  password: 'correct-horse-cluster',
};

// ---------------------------------------------------------------------------------------------
// Test data: one row per region and month of 2024, each region with its own revenue level.

function regionsCsv() {
  const levels = { North: 100, South: 250, East: 400, West: 900 };
  const lines = ['date,region,revenue'];
  let total = 0;
  const byRegion = {};
  for (let month = 1; month <= 12; month++) {
    for (const [region, level] of Object.entries(levels)) {
      const cents = level * 100 + month * 125 + region.length * 7;
      total += cents;
      byRegion[region] = (byRegion[region] ?? 0) + cents;
      lines.push(`2024-${String(month).padStart(2, '0')}-15,${region},${(cents / 100).toFixed(2)}`);
    }
  }
  const regions = Object.keys(levels);
  return {
    text: `${lines.join('\n')}\n`,
    rows: 12 * regions.length,
    months: 12,
    regions,
    total: total / 100,
    top: Object.entries(byRegion).sort((a, b) => b[1] - a[1])[0][0],
    totalOf: (region) => byRegion[region] / 100,
  };
}

// ---------------------------------------------------------------------------------------------
// The cluster (scripts/cluster, each call with this run's directory, base port and binary).

function clusterEnv(dir, base) {
  const env = {
    ...process.env,
    INSIGHTSTREAM_CLUSTER_DIR: dir,
    INSIGHTSTREAM_CLUSTER_PORT: String(base),
  };
  delete env.INSIGHTSTREAM_CLUSTER_FAULT_PROXY; // every role talks to the emulator directly
  return env;
}

/** The scripts/cluster processes under way (a signal ends them before taking the cluster down). */
const running = new Set();

/** Run `scripts/cluster <command>`; resolves with its stdout, rejects on a non-zero exit. */
function runCluster(command, env, timeoutMs) {
  return new Promise((resolve, reject) => {
    // Done at its exit, not at the end of its output: a daemon it starts could hold the pipes.
    const child = spawn(clusterScript, [command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scripts/cluster ${command} took over ${timeoutMs / 1000} s:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // What is still buffered arrives before 'exit' returns to the loop; give it one turn.
      setImmediate(() => {
        if (code === 0) resolve(stdout);
        else reject(new Error(`scripts/cluster ${command} exited ${code}:\n${stderr}${stdout}`));
      });
    });
  });
}

/** The synchronous `down`, for a signal handler: first ends a `scripts/cluster` under way (an
 *  `up` would go on starting roles). */
function clusterDownSync(env) {
  for (const child of running) child.kill('SIGKILL');
  spawnSync(clusterScript, ['down'], { env, stdio: 'ignore', timeout: 60_000 });
}

/** `scripts/cluster status` as { role: { pid (null when not running), url } }. */
async function clusterStatus(env) {
  const out = await runCluster('status', env, 15_000);
  const roles = {};
  for (const line of out.trim().split('\n')) {
    const [role, pid, url] = line.trim().split(/\s+/);
    roles[role] = { pid: pid === '-' ? null : Number(pid), url };
  }
  return roles;
}

/** A process that runs (a killed one may linger as a zombie until its parent reaps it). */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes that belong to the cluster: a child, session or group of `pids`, or one whose
 *  command line names the cluster's directory. */
function clusterProcesses(pids, dir) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [state, ppid, pgrp, session] = [fields[0], +fields[1], +fields[2], +fields[3]];
      if (state === 'Z') continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (
        pids.has(pid) ||
        pids.has(ppid) ||
        pids.has(pgrp) ||
        pids.has(session) ||
        cmd.includes(dir)
      ) {
        found.push({ pid, cmd: cmd.slice(0, 120) });
      }
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Ends (SIGKILL, by pid) what is left of this run's cluster; returns what it found. */
function endLeftovers(pids, dir) {
  const left = clusterProcesses(pids, dir);
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return left;
}

/** Blocks for `ms` (in a signal handler, where nothing can be awaited). */
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function portAnswers(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A base port (steps of 10 in 20000..32000, as tests/chaos/chaos.py) whose 7 ports are free. */
async function pickBasePort() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + 10 * Math.floor(Math.random() * 1200);
    const busy = await Promise.all(ROLES.map((_, i) => portAnswers(base + i)));
    if (!busy.some(Boolean)) return base;
  }
  throw new Error('no free range of 7 ports found between 20000 and 32000');
}

const pidFile = (file) => {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
};

/** The JSON lines of a role's log (logs/<role>.log), from line `from` on. */
function logEntries(dir, role, from = 0) {
  let text = '';
  try {
    text = readFileSync(path.join(dir, 'logs', `${role}.log`), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(from)
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
}

/** How many analytics requests (schema, summary, ...) `role` answered, from log line `from` on. */
const answered = (dir, role, from = 0) =>
  logEntries(dir, role, from).filter(
    (e) => e.event === 'http.request' && ANALYTICS_PATH.test(e.path ?? ''),
  ).length;

const logLines = (dir, role) => logEntries(dir, role).length;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  await mkdir(shotsDir, { recursive: true });
  if (!existsSync(path.join(distDir, 'index.html'))) {
    fail('setup', `no ${distDir}/index.html: run \`npm run build\` first`);
    finish();
    return;
  }
  if (process.env.INSIGHTSTREAM_BINARY && !existsSync(process.env.INSIGHTSTREAM_BINARY)) {
    fail('setup', `no binary at ${process.env.INSIGHTSTREAM_BINARY}`);
    finish();
    return;
  }

  const dir = await mkdtemp(path.join(tmpdir(), 'insightstream-cluster-e2e-'));
  const base = await pickBasePort();
  const env = clusterEnv(dir, base);
  console.log(`cluster in ${dir}, ports ${base}..${base + ROLES.length - 1}`);

  // Every process of the cluster seen during the run, for the check that none is left.
  const clusterPids = new Set();
  const remember = (pid) => {
    if (pid) clusterPids.add(pid);
  };
  const rememberAll = () => {
    const pidsDir = path.join(dir, 'pids');
    if (existsSync(pidsDir))
      for (const role of readdirSync(pidsDir)) remember(pidFile(path.join(pidsDir, role)));
    remember(pidFile(path.join(dir, 'aws/pid')));
    remember(pidFile(path.join(dir, 'pg/data/postmaster.pid')));
  };

  // Ctrl-C or a polite kill still takes the cluster down (its processes are in their own
  // sessions, so the signal does not reach them).
  let interrupted = false;
  const onSignal = (signal) => {
    if (interrupted) return;
    interrupted = true;
    console.log(`\n${signal}: taking the cluster down`);
    rememberAll();
    clusterDownSync(env);
    sleepSync(500); // a role the killed `up` had just forked
    const left = endLeftovers(clusterPids, dir);
    if (left.length > 0) console.log(`ended what \`down\` left: ${JSON.stringify(left)}`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let browser;
  let page;
  onStepFailure(async (name) => {
    if (!page || page.isClosed()) return;
    const file = `cluster-failed-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`;
    await page.screenshot({ path: path.join(shotsDir, file), fullPage: true });
    console.log(`    screenshot: ${path.join(shotsDir, file)}`);
  });

  try {
    let gateway = '';
    const up = await step('scripts/cluster up', async () => {
      const out = await runCluster('up', env, 120_000);
      gateway = out.trim().split('\n').pop() ?? '';
      check(
        '`up` prints the gateway URL',
        gateway === `http://127.0.0.1:${base}`,
        `printed ${JSON.stringify(out)}`,
      );
      const roles = await clusterStatus(env);
      rememberAll();
      const down = ROLES.filter((role) => !roles[role]?.pid);
      check('every role runs', down.length === 0, `not running: ${down.join(', ')}`);
      const pids = new Set(ROLES.map((role) => roles[role]?.pid));
      check('each role is its own process', pids.size === ROLES.length, JSON.stringify(roles));
      console.log(`    up after ${elapsed()}`);
    });
    if (!up) throw new Error('the cluster did not come up');

    const client = api(gateway);
    const csv = regionsCsv();
    let datasetId = '';
    let token = '';

    browser = await launchChromium();
    const consoleErrors = [];
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: LOCALE,
    });
    await recordProgress(context);
    page = await context.newPage();
    watchConsole(page, 'owner', consoleErrors);

    // Every request the page makes, and where it went: only the gateway may be asked.
    const requests = [];
    const responses = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('response', (response) => {
      const entry = {
        url: response.url(),
        status: response.status(),
        type: response.headers()['content-type'] ?? '',
        at: Date.now(),
      };
      responses.push(entry);
      // What a failed API request said (problem+json), for the report.
      if (entry.status >= 500)
        response.text().then(
          (text) => (entry.body = text.slice(0, 400)),
          () => undefined,
        );
    });

    await step('sign up through the form, through the gateway', async () => {
      await signUp(page, gateway, OWNER);
      token = await client.login(OWNER.email, OWNER.password);
      ok('the API logs the new owner in through the gateway');
    });

    await step('upload a CSV and follow its processing', async () => {
      const { row, id } = await uploadCsv(page, 'regions.csv', csv.text, { readyTimeout: 30_000 });
      datasetId = id;
      const seen = await page.evaluate(() => window.__e2eProgress);
      console.log(
        `    upload progress seen: ${JSON.stringify(seen.upload)}; processing: ${JSON.stringify(seen.processing)}; statuses: ${JSON.stringify(seen.statuses)}`,
      );
      check(
        'the upload progress bar reached 100 %',
        seen.upload.includes(100),
        `upload values ${JSON.stringify(seen.upload)}`,
      );
      const badge = (await row.getByTestId('status-badge').textContent())?.trim();
      check('the row shows the Ready badge', badge === 'Ready', `badge says ${badge}`);
      const rowText = (await row.textContent()) ?? '';
      check(
        `the row shows ${csv.rows} rows`,
        rowText.includes(`${fmt(csv.rows, 0)} rows`),
        `row text: ${rowText}`,
      );
      const ds = await client.call('GET', `/datasets/${datasetId}`, { token });
      check(
        `the API says ready, ${csv.rows} rows, none rejected`,
        ds.data.status === 'ready' && ds.data.rows === csv.rows && !ds.data.rows_rejected,
        JSON.stringify(ds.data),
      );

      // The live progress: while the row was queued or processing, the page followed the
      // dataset's event stream (served by analytics, through the gateway).
      const streams = responses.filter((r) => EVENTS_PATH.test(r.url));
      const followed = seen.statuses.some((s) => s === 'queued' || s === 'processing');
      if (followed) {
        check(
          'the row showed the live processing state before Ready',
          seen.statuses.at(-1) === 'ready',
          JSON.stringify(seen.statuses),
        );
        check(
          'the page followed the event stream through the gateway (200 text/event-stream)',
          streams.some((r) => r.status === 200 && r.type.startsWith('text/event-stream')),
          JSON.stringify(streams),
        );
      } else {
        ok('(the dataset was ready before the list showed it processing: no live progress to see)');
      }
      await page.screenshot({ path: path.join(shotsDir, 'cluster-datasets.png'), fullPage: true });

      // The same stream, asked directly: a ready dataset's stream says so.
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 5_000);
      try {
        const response = await fetch(`${gateway}/api/v1/datasets/${datasetId}/events`, {
          headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` },
          signal: controller.signal,
        });
        let body = '';
        const decoder = new TextDecoder();
        for await (const chunk of response.body) {
          body += decoder.decode(chunk, { stream: true });
          if (/event: *ready/.test(body)) break;
        }
        check(
          "the gateway streams a ready dataset's events (event: ready)",
          response.status === 200 &&
            (response.headers.get('content-type') ?? '').startsWith('text/event-stream') &&
            /event: *ready/.test(body),
          `${response.status} ${response.headers.get('content-type')} ${body.slice(0, 200)}`,
        );
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
    });

    /** The dataset page with every panel answered by analytics; checks its content. */
    const checkDatasetPage = async (when) => {
      const trend = page.locator(`[data-testid="trend-chart"][data-points="${csv.months}"]`);
      await trend.waitFor({ timeout: 20_000 });
      check(
        `${when}: the trend chart draws ${csv.months} monthly points`,
        (await trend.locator('svg path').count()) > 0,
        'no SVG paths in the chart',
      );
      await page.getByTestId('kpi-total').waitFor({ timeout: 10_000 });
      const total = Number(await page.getByTestId('kpi-total').getAttribute('data-value'));
      check(
        `${when}: the total is the sum of the revenue (${fmt(csv.total)})`,
        Math.abs(total - csv.total) < 0.005 &&
          (await page.getByTestId('kpi-total-value').textContent())?.trim() === fmt(csv.total),
        `data-value ${total}, shown ${await page.getByTestId('kpi-total-value').textContent()}`,
      );
      const rows = (
        await page.getByTestId('kpi-rows').locator('.kpi__value').textContent()
      )?.trim();
      check(`${when}: the rows KPI says ${csv.rows}`, rows === fmt(csv.rows, 0), `shows ${rows}`);

      await page.getByTestId('groups-dimension').selectOption('region');
      const groups = page.locator('[data-testid="groups-chart"][data-dimension="region"]');
      await groups.waitFor({ timeout: 10_000 });
      check(
        `${when}: the region chart has one bar per region`,
        (await groups.getAttribute('data-bars')) === String(csv.regions.length),
        `bars: ${await groups.getAttribute('data-bars')}`,
      );
      const table = page.getByTestId('groups-table');
      if ((await table.getAttribute('open')) === null) await table.locator('summary').click();
      const first = (await table.locator('tbody tr').first().locator('th').textContent())?.trim();
      check(`${when}: the biggest region is ${csv.top}`, first === csv.top, `first: ${first}`);
      const keys = (await table.locator('tbody tr th').allTextContents()).map((k) => k.trim());
      check(
        `${when}: the groups are the ${csv.regions.length} regions`,
        [...keys].sort().join() === [...csv.regions].sort().join(),
        JSON.stringify(keys),
      );
      const breakdown = page.getByTestId('breakdown-chart');
      await breakdown.waitFor({ timeout: 10_000 });
      check(
        `${when}: the breakdown chart has series`,
        Number(await breakdown.getAttribute('data-series')) > 0,
        'no series',
      );
      const schemaRows = await page.getByTestId('schema-table').locator('tbody tr').count();
      check(`${when}: the schema lists the 3 columns`, schemaRows === 3, `rows: ${schemaRows}`);
      check(
        `${when}: no panel shows an error`,
        (await page.getByTestId('problem').count()) === 0,
        await page
          .getByTestId('problem')
          .allTextContents()
          .then((t) => t.join(' | ')),
      );
    };

    await step('the dataset page: trend, total, groups (answered by analytics)', async () => {
      if (!datasetId) throw new Error('no dataset');
      await page.getByRole('link', { name: 'regions' }).first().click();
      await page.waitForURL(new RegExp(`/datasets/${datasetId}$`));
      await checkDatasetPage('two analytics');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(shotsDir, 'cluster-dataset.png'), fullPage: true });
    });

    await step('drill into a region: the panels ask POST /query through the gateway', async () => {
      if (!datasetId) throw new Error('no dataset');
      const table = page.getByTestId('groups-table');
      if ((await table.getAttribute('open')) === null) await table.locator('summary').click();
      await table.getByRole('button', { name: `Filter by region = ${csv.top}` }).click();
      await page.getByTestId('drill-breadcrumb').waitFor({ timeout: 10_000 });
      await page
        .locator('[data-testid="groups-chart"][data-bars="1"]')
        .waitFor({ timeout: 15_000 });
      await page
        .locator(`[data-testid="trend-chart"][data-points="${csv.months}"]`)
        .waitFor({ timeout: 15_000 });
      await page.locator('[data-testid="kpis"][data-filtered="true"]').waitFor();
      const rows = await page.getByTestId('kpi-rows').getAttribute('data-value');
      const total = (await page.getByTestId('kpi-total-value').textContent())?.trim();
      check(
        `${csv.top} alone: ${csv.months} rows and its revenue (${fmt(csv.totalOf(csv.top))})`,
        rows === String(csv.months) && total === fmt(csv.totalOf(csv.top)),
        `rows ${rows}, total ${total}`,
      );
      check(
        'no panel shows an error',
        (await page.getByTestId('problem').count()) === 0,
        await page
          .getByTestId('problem')
          .allTextContents()
          .then((t) => t.join(' | ')),
      );
      await page.getByTestId('drill-breadcrumb').getByRole('button', { name: 'All rows' }).click();
      await page
        .locator(`[data-testid="groups-chart"][data-bars="${csv.regions.length}"]`)
        .waitFor({ timeout: 15_000 });
      ok('back to all regions through the breadcrumb');
    });

    await step('the activity log lists the upload', async () => {
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Activity' })
        .click();
      const row = page.locator('tbody tr').filter({ hasText: datasetId }).first();
      await row.waitFor({ timeout: 10_000 });
      const text = (await row.innerText()).replace(/\s+/g, ' ');
      check(`it says dataset.uploaded for ${datasetId}`, text.includes('dataset.uploaded'), text);
      await page.goBack();
      await page.locator(`[data-testid="trend-chart"][data-points="${csv.months}"]`).waitFor();
    });

    await step('kill -9 analytics1: the dashboard still loads (analytics2 answers)', async () => {
      if (!datasetId) throw new Error('no dataset');
      const before = await clusterStatus(env);
      const pid = before.analytics1?.pid;
      if (!pid) throw new Error(`analytics1 is not running: ${JSON.stringify(before)}`);
      const byInstance = {
        analytics1: answered(dir, 'analytics1'),
        analytics2: answered(dir, 'analytics2'),
      };
      check(
        'before the kill, both analytics instances answered the page',
        byInstance.analytics1 > 0 && byInstance.analytics2 > 0,
        JSON.stringify(byInstance),
      );
      const analytics2From = logLines(dir, 'analytics2');
      const gatewayFrom = logLines(dir, 'gateway');
      process.kill(pid, 'SIGKILL');
      let after = before;
      for (let i = 0; i < 100 && after.analytics1?.pid; i++) {
        await sleep(50);
        after = await clusterStatus(env);
      }
      check(
        'status says analytics1 is gone',
        after.analytics1?.pid === null,
        JSON.stringify(after),
      );
      check(
        'every other role still runs',
        ROLES.filter((r) => r !== 'analytics1').every((r) => after[r]?.pid),
        JSON.stringify(after),
      );
      const since = Date.now();
      // Twice, so that round robin over the two instances would have picked the dead one.
      for (const round of ['after the kill', 'after the kill, reloaded again']) {
        await page.reload();
        await checkDatasetPage(round);
      }
      // Another dataset list and page visit, from the start page.
      await page.goto(route(gateway, '/datasets'));
      await page.getByTestId('dataset-row').first().waitFor({ timeout: 15_000 });
      await page.getByRole('link', { name: 'regions' }).first().click();
      await page.locator(`[data-testid="trend-chart"][data-points="${csv.months}"]`).waitFor();
      const analytics = responses.filter((r) => r.at >= since && ANALYTICS_PATH.test(r.url));
      check(
        `every analytics request since the kill was answered (${analytics.length} requests)`,
        analytics.length >= 10 && analytics.every((r) => r.status === 200 || r.status === 304),
        JSON.stringify(analytics.filter((r) => r.status !== 200 && r.status !== 304)),
      );
      const byAnalytics2 = answered(dir, 'analytics2', analytics2From);
      check(
        'analytics2 answered them all',
        byAnalytics2 >= analytics.length,
        `analytics2 logged ${byAnalytics2} of ${analytics.length}`,
      );
      const analytics1Url = before.analytics1.url.replace(/^http:\/\//, '');
      const skipped = logEntries(dir, 'gateway', gatewayFrom).filter(
        (e) => e.event === 'gateway.circuit_open' && e.instance === analytics1Url,
      );
      check(
        'the gateway tried the dead analytics1, went on to analytics2 and then skipped it',
        skipped.length > 0,
        `no gateway.circuit_open for ${analytics1Url} in logs/gateway.log`,
      );
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({
        path: path.join(shotsDir, 'cluster-dataset-one-analytics.png'),
        fullPage: true,
      });
    });

    const elsewhere = requests.filter((url) => !url.startsWith(`${gateway}/`));
    check(
      'the browser asked the gateway only',
      elsewhere.length === 0,
      elsewhere.slice(0, 5).join(' '),
    );
    check('no console errors', consoleErrors.length === 0, consoleErrors.join(' || '));
    await context.close();
  } catch (error) {
    fail('setup', describeError(error));
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    rememberAll();
    if (failedCount() > 0 && existsSync(path.join(dir, 'logs'))) {
      const logs = path.join(shotsDir, 'cluster-logs');
      await rm(logs, { recursive: true, force: true });
      await cp(path.join(dir, 'logs'), logs, { recursive: true }).catch(() => undefined);
      await writeFile(
        path.join(logs, 'status.txt'),
        await runCluster('status', env, 15_000).catch((e) => String(e)),
      ).catch(() => undefined);
      console.log(`the roles' logs: ${logs}`);
    }
    await step('scripts/cluster down leaves nothing running', async () => {
      await runCluster('down', env, 90_000);
      check('the cluster directory is removed', !existsSync(dir), `${dir} still exists`);
      const left = clusterProcesses(clusterPids, dir);
      check(
        `none of the cluster's ${clusterPids.size} processes is left`,
        left.length === 0 && [...clusterPids].every((pid) => !alive(pid)),
        JSON.stringify(left),
      );
      const answering = [];
      for (let i = 0; i < ROLES.length; i++)
        if (await portAnswers(base + i)) answering.push(`${ROLES[i]}:${base + i}`);
      check('no role port answers', answering.length === 0, answering.join(' '));
    });
    // What `down` left (failed above) is ended here, by the pids this run started.
    const left = endLeftovers(clusterPids, dir);
    if (left.length > 0) console.log(`ended what \`down\` left: ${JSON.stringify(left)}`);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    console.log(`\nfinished after ${elapsed()}`);
  }

  finish();
}

await main();
