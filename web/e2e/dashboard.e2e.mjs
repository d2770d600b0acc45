// End-to-end test of the dashboard against the real InsightStream binary, in headless Chromium.
//
//   npm run build && npm run e2e
//
// Starts `insightstream all` on a free port with a fresh data directory and the built dashboard
// (web/dist), then drives the UI as a person would: sign up, upload a sales CSV, watch it
// process, read the charts and KPIs (checked against the API), download the rejected rows,
// confirm an assumed day/month order (the stored file is reprocessed, nothing uploaded again),
// add a viewer who must choose a new password at the first login and check what the viewer may
// see and do, and switch between two organizations of one e-mail. Screenshots go to build/e2e/.
// Exit code 0 only when every check passed.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  LOCALE,
  api,
  check,
  distDir,
  fail,
  finish,
  fmt,
  launchChromium,
  ok,
  recordProgress,
  repoDir,
  route,
  shotsDir,
  signUp,
  step,
  uploadCsv,
  watchConsole,
} from './ui.mjs';
import { exploreSteps } from './explore.mjs';

const binary =
  process.env.INSIGHTSTREAM_BINARY ?? path.join(repoDir, 'build/release/src/insightstream');

const OWNER = {
  organization: 'Acme Analytics',
  name: 'Olivia Owner',
  email: 'olivia@acme.test',
  password: 'correct-horse-battery',
  newPassword: 'battery-staple-horse',
};
// Added with "Ask to change the password at first login": password is the first one, own is
// the one the viewer chooses on the "Choose a new password" page.
const VIEWER = {
  name: 'Victor Viewer',
  email: 'victor@acme.test',
  password: 'viewer-password-1',
  own: 'victors-own-password',
};
const SECOND_ORG = 'Acme Labs';

// ---------------------------------------------------------------------------------------------
// Test data: ~2000 sales rows over 2023-01-01..2024-12-31, plus 3 rows with too few fields.

function salesCsv() {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = (list) => list[Math.floor(random() * list.length)];
  const regions = ['North', 'South', 'East', 'West', 'Central'];
  const catalog = {
    Electronics: ['Laptop', 'Phone', 'Tablet', 'Monitor'],
    Furniture: ['Desk', 'Chair', 'Shelf'],
    Office: ['Paper', 'Pens', 'Stapler', 'Binder'],
  };
  const start = Date.UTC(2023, 0, 1);
  const end = Date.UTC(2024, 11, 31);
  const dayMs = 86_400_000;
  const days = Math.round((end - start) / dayMs); // 730
  const rows = 2000;
  const broken = new Set([150, 999, 1700]); // after these data rows
  const lines = ['order_date,region,category,product,quantity,revenue'];
  const brokenLines = [];
  for (let i = 0; i < rows; i++) {
    const day = Math.round((i * days) / (rows - 1));
    const date = new Date(start + day * dayMs).toISOString().slice(0, 10);
    const category = pick(Object.keys(catalog));
    const product = pick(catalog[category]);
    const quantity = 1 + Math.floor(random() * 9);
    const revenue = (quantity * (5 + random() * 495)).toFixed(2);
    lines.push(`${date},${pick(regions)},${category},${product},${quantity},${revenue}`);
    if (broken.has(i)) {
      lines.push(`${date},${pick(regions)},broken`);
      brokenLines.push(lines.length); // 1-based line number in the file
    }
  }
  return { text: `${lines.join('\n')}\n`, rows, brokenLines };
}

/** Dates whose day and month are both ≤ 12 (1..12 March 2023, day first): nothing tells. */
function dayFirstCsv() {
  const lines = ['day,amount'];
  for (let day = 1; day <= 12; day++)
    lines.push(`${String(day).padStart(2, '0')}/03/2023,${day * 10}`);
  return { text: `${lines.join('\n')}\n` };
}

// ---------------------------------------------------------------------------------------------
// The server.

async function startServer(dataDir) {
  if (!existsSync(binary)) throw new Error(`no binary at ${binary} (set INSIGHTSTREAM_BINARY)`);
  if (!existsSync(path.join(distDir, 'index.html')))
    throw new Error(`no ${distDir}/index.html: run \`npm run build\` first`);
  const child = spawn(
    binary,
    [
      'all',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--web-dir',
      distDir,
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = [];
  const serverLog = createWriteStream(path.join(shotsDir, 'server.log'));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`the server did not report server.listening in 30 s:\n${log.join('\n')}`)),
      30_000,
    );
    const onData = (chunk) => {
      // The whole log, for a failure's post-mortem.
      serverLog.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        log.push(line);
        if (log.length > 200) log.shift();
        try {
          const entry = JSON.parse(line);
          if (entry.event === 'server.listening' && Number.isInteger(entry.port)) {
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {
          // not JSON
        }
      }
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${log.join('\n')}`));
    });
  });
  return { child, port, log };
}

async function stopServer(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit').catch(() => undefined);
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  await mkdir(shotsDir, { recursive: true });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'insightstream-e2e-'));
  const downloadsDir = await mkdtemp(path.join(tmpdir(), 'insightstream-e2e-downloads-'));
  let server;
  let browser;
  try {
    server = await startServer(dataDir);
    const base = `http://127.0.0.1:${server.port}`;
    console.log(`server on ${base}, data in ${dataDir}`);
    const client = api(base);
    const csv = salesCsv();

    browser = await launchChromium();

    const consoleErrors = [];
    const watch = (page, who) => watchConsole(page, who, consoleErrors);

    const ownerContext = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: LOCALE,
      acceptDownloads: true,
    });
    // Record every progress value the page shows, however briefly (processing can take ms).
    await recordProgress(ownerContext);
    const page = await ownerContext.newPage();
    watch(page, 'owner');

    let datasetId = '';
    let ownerToken = '';

    // 1. Sign up ------------------------------------------------------------------------------
    await step('sign up through the form', async () => {
      await signUp(page, base, OWNER);
      await page.getByText('No datasets yet — drop a CSV here').waitFor({ timeout: 5_000 });
      ok('the empty state invites an upload');
      const stored = await page.evaluate(
        () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
      );
      check(
        'no token in localStorage or sessionStorage',
        !/eyJ|rt\./.test(stored),
        `found ${stored.slice(0, 120)}`,
      );
      ownerToken = await client.login(OWNER.email, OWNER.password);
    });

    // 2. Upload -------------------------------------------------------------------------------
    await step('the upload control works from the keyboard', async () => {
      const choose = page.getByRole('button', { name: 'Choose a file' });
      await page.locator('body').click({ position: { x: 5, y: 300 } });
      for (
        let i = 0;
        i < 25 && !(await choose.evaluate((el) => el === document.activeElement));
        i++
      ) {
        await page.keyboard.press('Tab');
      }
      check(
        '"Choose a file" is reachable with Tab',
        await choose.evaluate((el) => el === document.activeElement),
        'not reached',
      );
      const focusVisible = await choose.evaluate(
        (el) => el.matches(':focus-visible') && getComputedStyle(el).boxShadow !== 'none',
      );
      // Enter must reach the (visually hidden) file input; the picker itself is not opened here.
      await page.evaluate(() => {
        window.__e2eFileInputClicks = 0;
        document.addEventListener(
          'click',
          (event) => {
            if (event.target instanceof HTMLInputElement && event.target.type === 'file') {
              window.__e2eFileInputClicks++;
              event.preventDefault();
            }
          },
          true,
        );
      });
      await page.keyboard.press('Enter');
      const clicks = await page.evaluate(() => window.__e2eFileInputClicks);
      check(
        'Enter on "Choose a file" opens the file picker',
        clicks === 1,
        `file input clicks: ${clicks}`,
      );
      check('the focused button shows a focus ring', focusVisible, 'no visible focus style');
      check(
        'the tab title names the page',
        (await page.title()) === 'Datasets · InsightStream',
        `title: ${await page.title()}`,
      );
    });

    await step('upload a CSV and watch it process', async () => {
      const { row, id } = await uploadCsv(page, 'sales.csv', csv.text);
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
      const badge = await row.getByTestId('status-badge').textContent();
      check('the row shows the Ready badge', badge?.trim() === 'Ready', `badge says ${badge}`);
      const ds = await client.call('GET', `/datasets/${datasetId}`, { token: ownerToken });
      check(
        'the API says ready at 100 %',
        ds.data.status === 'ready' && ds.data.progress.percent === 100,
        JSON.stringify(ds.data.progress),
      );
      check(
        'the processing bar, when shown, ended at 100 % (or went straight to ready)',
        seen.processing.length === 0 ||
          seen.processing[seen.processing.length - 1] === 100 ||
          seen.statuses.at(-1) === 'ready',
        JSON.stringify(seen),
      );
      check(
        '2000 rows kept, 3 rejected',
        ds.data.rows === csv.rows && ds.data.rows_rejected === 3,
        `rows ${ds.data.rows}, rejected ${ds.data.rows_rejected}`,
      );
      const rowText = await row.textContent();
      check(
        'the row shows the row count',
        rowText?.includes(fmt(csv.rows, 0)) ?? false,
        `row text: ${rowText}`,
      );
      await page.screenshot({ path: path.join(shotsDir, 'datasets.png'), fullPage: true });
    });

    // 3. The dataset page -----------------------------------------------------------------------
    await step('the dataset page: trend, KPIs, groups', async () => {
      await page.getByRole('link', { name: 'sales' }).first().click();
      await page.waitForURL(new RegExp(`/datasets/${datasetId}$`));
      const trend = page.getByTestId('trend-chart');
      await trend.waitFor({ timeout: 20_000 });

      const monthly = await client.call('GET', `/datasets/${datasetId}/timeseries?interval=month`, {
        token: ownerToken,
      });
      check(
        'the API has 24 monthly points',
        monthly.data.points.length === 24,
        `API: ${monthly.data.points.length}`,
      );
      await page
        .locator('[data-testid="trend-chart"][data-points="24"]')
        .waitFor({ timeout: 10_000 });
      check(
        'the trend chart draws 24 monthly points',
        (await trend.getAttribute('data-points')) === String(monthly.data.points.length),
        `chart: ${await trend.getAttribute('data-points')}`,
      );
      const drawn = await trend.locator('svg path').count();
      check('the trend chart is drawn (SVG paths)', drawn > 0, 'no SVG paths in the chart');
      // The table view carries the same numbers.
      await page.getByTestId('trend-table').locator('summary').click();
      const tableRows = page.getByTestId('trend-table').locator('tbody tr');
      check(
        'the trend table has 24 rows',
        (await tableRows.count()) === 24,
        `table rows: ${await tableRows.count()}`,
      );
      const firstValue = (await tableRows.first().locator('td').first().textContent())?.trim();
      check(
        'the first table value equals the API (formatted)',
        firstValue === fmt(monthly.data.points[0].value),
        `page ${firstValue} vs API ${fmt(monthly.data.points[0].value)}`,
      );
      await page.getByTestId('trend-table').locator('summary').click();
      const growth = page.getByTestId('growth-chart');
      check(
        'the growth chart is drawn beneath with 24 points',
        (await growth.getAttribute('data-points')) === '24',
        `growth: ${await growth.getAttribute('data-points')}`,
      );

      // KPIs against /summary.
      const summary = await client.call('GET', `/datasets/${datasetId}/summary`, {
        token: ownerToken,
      });
      const total = summary.data.kpis.find((k) => k.name === 'total');
      const shownTotal = (await page.getByTestId('kpi-total-value').textContent())?.trim();
      check(
        'the total KPI equals the API (formatted)',
        shownTotal === fmt(total.value),
        `page ${shownTotal} vs API ${fmt(total.value)} (${total.value})`,
      );
      check(
        'the total KPI carries the exact API value',
        (await page.getByTestId('kpi-total').getAttribute('data-value')) === total.value,
        'data-value differs',
      );
      const shownRows = (
        await page.getByTestId('kpi-rows').locator('.kpi__value').textContent()
      )?.trim();
      check(
        'the rows KPI equals the API',
        shownRows === fmt(summary.data.rows, 0),
        `page ${shownRows} vs ${summary.data.rows}`,
      );
      const growthText = (await page.getByTestId('kpi-growth').textContent())?.trim() ?? '';
      const expectedGrowth =
        total.growth === null
          ? '—'
          : new Intl.NumberFormat(LOCALE, {
              style: 'percent',
              minimumFractionDigits: 1,
              maximumFractionDigits: 1,
              signDisplay: 'exceptZero',
            }).format(total.growth);
      check(
        'the latest period growth equals the API',
        growthText.includes(expectedGrowth),
        `page "${growthText}" vs ${expectedGrowth}`,
      );

      // Quarterly.
      await page.getByTestId('trend-interval').selectOption('quarter');
      await page
        .locator('[data-testid="trend-chart"][data-points="8"]')
        .waitFor({ timeout: 10_000 });
      const quarterly = await client.call(
        'GET',
        `/datasets/${datasetId}/timeseries?interval=quarter`,
        { token: ownerToken },
      );
      check(
        'the quarterly chart draws 8 points, as the API',
        quarterly.data.points.length === 8 && (await trend.getAttribute('data-points')) === '8',
        `API ${quarterly.data.points.length}, chart ${await trend.getAttribute('data-points')}`,
      );
      // Below the sticky section bar, after the chart's transition has settled.
      await page.evaluate(() => {
        const panel = document.querySelector('[data-testid="trend-panel"]');
        if (panel) window.scrollTo(0, panel.getBoundingClientRect().top + window.scrollY - 130);
      });
      await page.waitForTimeout(800);
      const box = await page.getByTestId('trend-panel').boundingBox();
      await page.screenshot({
        path: path.join(shotsDir, 'quarterly-chart.png'),
        clip: {
          x: 0,
          y: Math.max(box.y - 16, 0),
          width: 1280,
          height: Math.min(box.height + 32, 900),
        },
      });

      // Groups by region.
      await page.getByTestId('groups-dimension').selectOption('region');
      const groupsChart = page.locator('[data-testid="groups-chart"][data-dimension="region"]');
      await groupsChart.waitFor({ timeout: 10_000 });
      const groups = await client.call(
        'GET',
        `/datasets/${datasetId}/groups?dimension=region&limit=10`,
        { token: ownerToken },
      );
      const expectedBars = groups.data.groups.length + (groups.data.other.count > 0 ? 1 : 0);
      check(
        'the region chart has one bar per region',
        (await groupsChart.getAttribute('data-bars')) === String(expectedBars),
        `chart ${await groupsChart.getAttribute('data-bars')} vs ${expectedBars}`,
      );
      await page.getByTestId('groups-table').locator('summary').click();
      const firstGroup = (
        await page
          .getByTestId('groups-table')
          .locator('tbody tr')
          .first()
          .locator('th')
          .textContent()
      )?.trim();
      check(
        "the biggest region is the API's first group",
        firstGroup === groups.data.groups[0].key,
        `page ${firstGroup} vs ${groups.data.groups[0].key}`,
      );
      const breakdown = page.getByTestId('breakdown-chart');
      await breakdown.waitFor({ timeout: 10_000 });
      check(
        'the breakdown chart has series',
        Number(await breakdown.getAttribute('data-series')) > 0,
        'no series',
      );
      const schemaRows = await page.getByTestId('schema-table').locator('tbody tr').count();
      check('the schema lists 6 columns', schemaRows === 6, `schema rows: ${schemaRows}`);
    });

    await step('download the rejected rows as CSV', async () => {
      await page.getByTestId('errors-table').waitFor({ timeout: 10_000 });
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 15_000 }),
        page.getByTestId('download-errors').click(),
      ]);
      const file = path.join(downloadsDir, download.suggestedFilename() || 'errors.csv');
      await download.saveAs(file);
      const text = await readFile(file, 'utf8');
      const lines = text
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => Number(l.split(',')[0]));
      check(
        'the errors CSV has the 3 broken lines',
        csv.brokenLines.every((n) => lines.includes(n)),
        `expected ${csv.brokenLines}, CSV lines ${lines}`,
      );
      check(
        'the download is named .csv',
        download.suggestedFilename().endsWith('.csv'),
        download.suggestedFilename(),
      );
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(shotsDir, 'dataset.png'), fullPage: true });
    });

    // 3b. Filters, drill-down and Explore ------------------------------------------------------
    await exploreSteps({
      page,
      base,
      client,
      datasetId,
      downloadsDir,
      token: () => ownerToken,
    });

    await step('the session survives a reload (refresh cookie)', async () => {
      await page.reload();
      await page.getByTestId('trend-chart').waitFor({ timeout: 20_000 });
      ok('reloaded without logging in again');
    });

    await step('phone width (390 px)', async () => {
      const phone = await ownerContext.newPage();
      watch(phone, 'owner-phone');
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(route(base, `/datasets/${datasetId}`));
      await phone.getByTestId('trend-chart').waitFor({ timeout: 20_000 });
      await phone.waitForTimeout(400);
      const overflow = await phone.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      check(
        'no horizontal scrolling at 390 px',
        overflow <= 0,
        `the page is ${overflow}px wider than the screen`,
      );
      await phone.screenshot({ path: path.join(shotsDir, 'phone-dataset-top.png') });
      await phone.screenshot({ path: path.join(shotsDir, 'phone-dataset.png'), fullPage: true });
      await phone.goto(route(base, '/datasets'));
      await phone.getByTestId('dataset-row').first().waitFor();
      await phone.screenshot({ path: path.join(shotsDir, 'phone-datasets.png'), fullPage: true });
      await phone.close();
    });

    // 4. An assumed day/month order, confirmed without uploading again ------------------------
    await step(
      'confirm an assumed date order: "Read day first" reprocesses the stored file',
      async () => {
        const dates = dayFirstCsv();
        await page.goto(route(base, '/datasets'));
        const { row, id } = await uploadCsv(page, 'day-first.csv', dates.text);
        const before = await client.call('GET', `/datasets/${id}/schema`, { token: ownerToken });
        const dayBefore = before.data.columns.find((c) => c.name === 'day');
        check(
          'the API read the dates month first, assumed',
          dayBefore?.date_order === 'MDY' && dayBefore?.date_order_source === 'assumed',
          JSON.stringify(dayBefore),
        );

        await row.getByRole('link', { name: 'day-first' }).click();
        await page.waitForURL(new RegExp(`/datasets/${id}$`));
        const prompt = page.getByTestId('date-order-prompt');
        await prompt.waitFor({ timeout: 20_000 });
        const text = (await prompt.textContent()) ?? '';
        check(
          'the page asks about the assumed order',
          text.includes('Dates in day were read month first') &&
            text.includes('nothing in the file'),
          `prompt: ${text}`,
        );
        const readAs = page
          .getByTestId('schema-table')
          .locator('tr[data-column="day"]')
          .getByTestId('read-as');
        check(
          'the Columns panel says the order is assumed',
          ((await readAs.textContent()) ?? '').includes('MM/DD · assumed'),
          `columns say: ${await readAs.textContent()}`,
        );
        await page.screenshot({ path: path.join(shotsDir, 'date-order-prompt.png') });

        await prompt.getByRole('button', { name: 'Read day first' }).click();
        // The page follows the new version as it processes, then shows it.
        await page.locator('.insights[data-version="2"]').waitFor({ timeout: 60_000 });
        const ds = await client.call('GET', `/datasets/${id}`, { token: ownerToken });
        check(
          'version 2 is ready, read from the stored file of version 1',
          ds.data.version === 2 && ds.data.status === 'ready' && ds.data.reprocessed_from === 1,
          `version ${ds.data.version}, ${ds.data.status}, from ${ds.data.reprocessed_from}`,
        );
        check(
          'the dataset remembers the hint',
          ds.data.column_options?.types?.day === 'date:dmy',
          JSON.stringify(ds.data.column_options),
        );
        const after = await client.call('GET', `/datasets/${id}/schema`, { token: ownerToken });
        const dayAfter = after.data.columns.find((c) => c.name === 'day');
        check(
          "the schema's day column is read day first (DMY, from the hint)",
          after.data.version === 2 &&
            dayAfter?.date_order === 'DMY' &&
            dayAfter?.date_order_source === 'hint',
          JSON.stringify(dayAfter),
        );
        check(
          'the prompt is gone',
          (await page.getByTestId('date-order-prompt').count()) === 0,
          'the prompt is still shown',
        );
        check(
          'the Columns panel shows the order as set',
          ((await readAs.textContent()) ?? '').includes('DD/MM · set'),
          `columns say: ${await readAs.textContent()}`,
        );
        // 1..12 March: one month day first, where month first made twelve.
        const monthly = await client.call('GET', `/datasets/${id}/timeseries?interval=month`, {
          token: ownerToken,
        });
        await page
          .locator(`[data-testid="trend-chart"][data-points="${monthly.data.points.length}"]`)
          .waitFor({ timeout: 10_000 });
        check(
          'the trend now has the single month of March 2023',
          monthly.data.points.length === 1 && monthly.data.points[0].period === '2023-03',
          JSON.stringify(monthly.data.points.map((p) => p.period)),
        );
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(shotsDir, 'date-order-confirmed.png') });
      },
    );

    // 5. A viewer -------------------------------------------------------------------------------
    await step('the owner adds a viewer through the members page', async () => {
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Members' })
        .click();
      await page.waitForURL(/\/members$/);
      const form = page.getByRole('form', { name: 'Add a member' });
      await form.getByLabel('E-mail').fill(VIEWER.email);
      await form.getByLabel('Name').fill(VIEWER.name);
      await form.getByLabel('Role').selectOption('viewer');
      await form.getByLabel('First password').fill(VIEWER.password);
      check(
        'the first password must be changed at the first login by default',
        await form.getByLabel('Ask to change the password at first login').isChecked(),
        'the box is not ticked',
      );
      await form.getByRole('button', { name: 'Add member' }).click();
      await page
        .locator(`[data-testid="member-row"][data-email="${VIEWER.email}"]`)
        .waitFor({ timeout: 10_000 });
      ok('the viewer is listed');
      check(
        'the member row offers a password reset',
        (await page.getByRole('button', { name: `Reset password of ${VIEWER.email}` }).count()) ===
          1,
        'no reset button',
      );
      await page.screenshot({ path: path.join(shotsDir, 'members.png'), fullPage: true });
    });

    await step('the viewer sees no upload or delete controls', async () => {
      const viewerContext = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        locale: LOCALE,
      });
      const viewer = await viewerContext.newPage();
      watch(viewer, 'viewer');
      await viewer.goto(route(base, '/login'));
      await viewer.getByLabel('E-mail').fill(VIEWER.email);
      await viewer.getByLabel('Password').fill(VIEWER.password);
      await viewer.getByRole('button', { name: 'Log in' }).click();
      // The first password must be changed before anything else.
      await viewer.waitForURL(/\/choose-password$/, { timeout: 15_000 });
      await viewer.getByRole('heading', { name: 'Choose a new password' }).waitFor();
      check(
        'nothing of the app is shown before the new password',
        (await viewer.getByRole('navigation', { name: 'Main' }).count()) === 0 &&
          (await viewer.getByTestId('dataset-row').count()) === 0,
        'the app is reachable',
      );
      const blocked = await client.call('GET', '/datasets', {
        token: await client.login(VIEWER.email, VIEWER.password),
      });
      check(
        'the API refuses the viewer everything until then (403 password-change-required)',
        blocked.status === 403 && String(blocked.data?.type).endsWith('/password-change-required'),
        `${blocked.status} ${JSON.stringify(blocked.data)}`,
      );
      await viewer.screenshot({ path: path.join(shotsDir, 'choose-password.png') });
      await viewer.getByLabel('Current password').fill(VIEWER.password);
      await viewer.getByLabel('New password', { exact: true }).fill(VIEWER.own);
      await viewer.getByLabel('Confirm new password').fill(VIEWER.own);
      await viewer.getByRole('button', { name: 'Save and continue' }).click();
      await viewer.waitForURL(/\/datasets$/, { timeout: 15_000 });
      ok('after choosing a new password the viewer is in');
      await viewer.getByTestId('dataset-row').first().waitFor({ timeout: 10_000 });
      check(
        'no upload zone',
        (await viewer.getByTestId('upload-zone').count()) === 0,
        'the upload zone is shown',
      );
      check(
        'no file input',
        (await viewer.locator('input[type="file"]').count()) === 0,
        'a file input is present',
      );
      check(
        'no Delete button',
        (await viewer.getByRole('button', { name: /delete/i }).count()) === 0,
        'a delete button is shown',
      );
      check(
        'no admin navigation',
        (await viewer.getByRole('link', { name: 'Members' }).count()) === 0,
        'Members link shown to a viewer',
      );
      await viewer.screenshot({ path: path.join(shotsDir, 'viewer-datasets.png'), fullPage: true });
      await viewer.getByRole('link', { name: 'sales' }).first().click();
      await viewer.getByTestId('trend-chart').waitFor({ timeout: 20_000 });
      check(
        'no upload/delete/column settings controls on the dataset page',
        (await viewer
          .getByRole('button', { name: /upload|delete|column settings|read day first/i })
          .count()) === 0 && (await viewer.locator('input[type="file"]').count()) === 0,
        'a change control is visible',
      );
      await viewer.screenshot({ path: path.join(shotsDir, 'viewer-dataset.png') });
      await viewerContext.close();

      const oldPassword = await client.call('POST', '/auth/login', {
        json: { email: VIEWER.email, password: VIEWER.password },
      });
      check(
        'the first password no longer opens',
        oldPassword.status === 401,
        `${oldPassword.status}`,
      );
      const viewerToken = await client.login(VIEWER.email, VIEWER.own);
      const refused = await client.call('POST', '/datasets?name=sneaky&format=csv', {
        token: viewerToken,
        body: csv.text,
        headers: { 'Content-Type': 'text/csv' },
      });
      check(
        'the API refuses an upload by the viewer (403 problem)',
        refused.status === 403 && refused.contentType.includes('application/problem+json'),
        `${refused.status} ${refused.contentType}`,
      );
      const deleteRefused = await client.call('DELETE', `/datasets/${datasetId}`, {
        token: viewerToken,
      });
      check(
        'the API refuses a delete by the viewer (403)',
        deleteRefused.status === 403,
        `${deleteRefused.status}`,
      );
    });

    // 6. One e-mail, two organizations ----------------------------------------------------------
    await step('switch between two organizations of one e-mail', async () => {
      const signup = await client.call('POST', '/auth/signup', {
        json: { organization: SECOND_ORG, email: OWNER.email, password: OWNER.password },
      });
      check(
        'the same e-mail and password sign up a second organization',
        signup.status === 201 && signup.data.organization?.name === SECOND_ORG,
        `${signup.status} ${JSON.stringify(signup.data)}`,
      );
      // The page learns the new organization at its next load (GET /me).
      await page.goto(route(base, '/datasets'));
      await page.reload();
      const toggle = page.getByRole('button', { name: `Organization: ${OWNER.organization}` });
      await toggle.waitFor({ timeout: 15_000 });
      await toggle.click();
      await page.screenshot({ path: path.join(shotsDir, 'organization-switcher.png') });
      await page.getByRole('button', { name: `${SECOND_ORG} as owner` }).click();
      await page.getByText('No datasets yet — drop a CSV here').waitFor({ timeout: 15_000 });
      check(
        'switched: the shell names the second organization',
        (await page.getByTestId('org-name').textContent()) === SECOND_ORG,
        `shows ${await page.getByTestId('org-name').textContent()}`,
      );
      check(
        "none of the first organization's datasets are listed",
        (await page.getByTestId('dataset-row').count()) === 0,
        'datasets of the other organization are shown',
      );
      await page.screenshot({ path: path.join(shotsDir, 'switched-organization.png') });
      await page.getByRole('button', { name: `Organization: ${SECOND_ORG}` }).click();
      await page.getByRole('button', { name: `${OWNER.organization} as owner` }).click();
      await page.getByTestId('dataset-row').first().waitFor({ timeout: 15_000 });
      check(
        'switched back: the datasets are there again',
        (await page.getByTestId('org-name').textContent()) === OWNER.organization,
        `shows ${await page.getByTestId('org-name').textContent()}`,
      );

      const phone = await ownerContext.newPage();
      watch(phone, 'owner-phone');
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(route(base, '/datasets'));
      await phone
        .getByRole('button', { name: `Organization: ${OWNER.organization}` })
        .waitFor({ timeout: 15_000 });
      const overflow = await phone.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      check(
        'the switcher fits a 390 px screen',
        overflow <= 0,
        `the page is ${overflow}px wider than the screen`,
      );
      await phone.screenshot({ path: path.join(shotsDir, 'phone-organization-switcher.png') });
      await phone.close();
    });

    await step('the account page changes the password', async () => {
      await page.getByRole('link', { name: 'Account' }).click();
      await page.waitForURL(/\/account$/);
      const form = page.getByRole('form', { name: 'Change password' });
      await form.getByLabel('Current password').fill(OWNER.password);
      await form.getByLabel('New password', { exact: true }).fill(OWNER.newPassword);
      await form.getByLabel('Confirm new password').fill(OWNER.newPassword);
      await form.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Your other sessions were signed out').waitFor({ timeout: 15_000 });
      ok('the page says the other sessions were signed out');
      const refusedOld = await client.call('GET', '/datasets', { token: ownerToken });
      check(
        'an access token of another session ends',
        refusedOld.status === 401,
        `${refusedOld.status}`,
      );
      ownerToken = await client.login(OWNER.email, OWNER.newPassword);
      ok('the new password opens');
      await page.screenshot({ path: path.join(shotsDir, 'account.png'), fullPage: true });
    });

    await step('log out', async () => {
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/login$/, { timeout: 10_000 });
      await page.goto(route(base, '/datasets'));
      await page.waitForURL(/\/login$/, { timeout: 10_000 });
      ok('after logging out the session is gone (reload lands on login)');
    });

    check('no console errors', consoleErrors.length === 0, consoleErrors.join(' || '));
    await ownerContext.close();
  } catch (error) {
    fail('setup', error instanceof Error ? error.message : String(error));
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    if (server) await stopServer(server.child);
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    await rm(downloadsDir, { recursive: true, force: true }).catch(() => undefined);
  }

  finish();
}

await main();
