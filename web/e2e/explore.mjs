// The dataset view's filters, drill-down and Explore, against the real API: a click on a bar of
// Groups drills into its region, and every panel then shows what POST /query answers for that
// region; the URL keeps the drill-down (reload, back, forward); Explore groups by two columns,
// takes a filter chip, and downloads its answer as CSV. Used by dashboard.e2e.mjs, on the sales
// dataset it uploaded.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LOCALE, check, fmt, ok, route, shotsDir, step } from './ui.mjs';

const BAR_FILL = '#4f46e5';

/** The text of every cell of a table view's rows: [[th, td, td…], …]. */
async function tableCells(table) {
  return table
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((row) => [...row.querySelectorAll('th, td')].map((c) => c.textContent.trim())),
    );
}

/** Open a panel's "Show as table" (once). */
async function openTable(page, testId) {
  const details = page.getByTestId(testId);
  if (!(await details.evaluate((el) => el.open))) await details.locator('summary').click();
  return details;
}

/** The groups bar of a key: the bar drawn level with the key's name on the axis. */
async function barOf(chart, key) {
  const label = chart.locator('svg text', { hasText: new RegExp(`^${key}$`) }).first();
  const labelBox = await label.boundingBox();
  if (!labelBox) throw new Error(`no axis label ${key}`);
  const middle = labelBox.y + labelBox.height / 2;
  const bars = chart.locator(`svg path[fill="${BAR_FILL}"]`);
  for (let i = 0; i < (await bars.count()); i++) {
    const box = await bars.nth(i).boundingBox();
    if (box && box.y <= middle && middle <= box.y + box.height) return bars.nth(i);
  }
  throw new Error(`no bar level with ${key}`);
}

/**
 * The steps. `ctx`: { page, base, client, token, datasetId, downloadsDir }; `token` is a
 * function (the owner's token may change before the run gets here).
 */
export async function exploreSteps(ctx) {
  const { page, base, client, datasetId, downloadsDir } = ctx;
  const query = async (body, headers = {}) => {
    const r = await client.call('POST', `/datasets/${datasetId}/query`, {
      token: ctx.token(),
      json: body,
      headers,
    });
    if (r.status !== 200) throw new Error(`/query ${r.status}: ${JSON.stringify(r.data)}`);
    return r.data;
  };
  let region = '';
  let filter = [];

  /** Every panel shows the rows of `region` only, to the digit of POST /query. */
  const checkFiltered = async (when) => {
    const groupsChart = page.locator('[data-testid="groups-chart"][data-bars="1"]');
    await groupsChart.waitFor({ timeout: 15_000 });
    const groupsTable = await openTable(page, 'groups-table');
    const groupsApi = await query({
      filters: filter,
      group_by: ['region'],
      measures: [{ column: 'revenue', agg: 'sum' }, { agg: 'count' }],
    });
    const groups = await tableCells(groupsTable);
    check(
      `${when}: Groups shows only ${region}, with the value of /query`,
      groups.length === 1 &&
        groups[0][0] === region &&
        groups[0][1] === fmt(groupsApi.rows[0].sum_revenue) &&
        groupsApi.rows.length === 1,
      `page ${JSON.stringify(groups)} vs API ${JSON.stringify(groupsApi.rows)}`,
    );

    const trendApi = await query({
      filters: filter,
      time: { column: 'order_date', interval: 'month' },
      measures: [{ column: 'revenue', agg: 'sum' }],
    });
    await page
      .locator(`[data-testid="trend-chart"][data-points="${trendApi.rows.length}"]`)
      .waitFor({ timeout: 15_000 });
    const trend = await tableCells(await openTable(page, 'trend-table'));
    const trendExpected = trendApi.rows.map((r) => [r.period, fmt(r.sum_revenue)]);
    const trendShown = trend.map((r) => [r[0], r[1]]);
    check(
      `${when}: the trend has ${trendApi.rows.length} months of ${region}, each as /query`,
      JSON.stringify(trendShown) === JSON.stringify(trendExpected),
      `page ${JSON.stringify(trendShown.slice(0, 3))}… vs API ${JSON.stringify(trendExpected.slice(0, 3))}…`,
    );
    const all = await client.call('GET', `/datasets/${datasetId}/timeseries?interval=month`, {
      token: ctx.token(),
    });
    const allByPeriod = new Map(all.data.points.map((p) => [p.period, p.value]));
    check(
      `${when}: …each less than the whole dataset's month`,
      trendApi.rows.every((r) => r.sum_revenue < allByPeriod.get(r.period)),
      'a month of one region is as large as all regions',
    );

    // The breakdown splits the region's rows by its own dimension (category), per quarter.
    const breakdownChart = page.getByTestId('breakdown-chart');
    await breakdownChart.waitFor({ timeout: 15_000 });
    const breakdownApi = await query({
      filters: filter,
      group_by: ['category'],
      time: { column: 'order_date', interval: 'quarter' },
      measures: [{ column: 'revenue', agg: 'sum' }],
    });
    const breakdownTable = await openTable(page, 'breakdown-table');
    const headers = (
      await breakdownTable.locator('thead th').evaluateAll((ths) => ths.map((t) => t.textContent))
    ).slice(1);
    const rows = await tableCells(breakdownTable);
    const mismatches = [];
    for (const r of breakdownApi.rows) {
      const row = rows.find((cells) => cells[0] === r.period);
      const column = headers.indexOf(r.category);
      const shown = row && column >= 0 ? row[column + 1] : undefined;
      if (shown !== fmt(r.sum_revenue))
        mismatches.push(`${r.period}/${r.category}: ${shown} vs ${fmt(r.sum_revenue)}`);
    }
    check(
      `${when}: the breakdown shows ${region}'s categories per quarter, each as /query`,
      mismatches.length === 0 &&
        breakdownApi.rows.length > 0 &&
        (await breakdownChart.getAttribute('data-other')) === '0',
      mismatches.slice(0, 3).join('; ') || 'an "Other" series is drawn',
    );

    const totals = await query({ filters: filter, measures: [{ column: 'revenue', agg: 'sum' }] });
    const kpiRows = await page.getByTestId('kpi-rows').getAttribute('data-value');
    const kpiTotal = (await page.getByTestId('kpi-total-value').textContent())?.trim();
    check(
      `${when}: the key figures are the region's (rows matching, total)`,
      kpiRows === String(totals.rows_matched) && kpiTotal === fmt(totals.rows[0].sum_revenue),
      `page ${kpiRows} / ${kpiTotal} vs API ${totals.rows_matched} / ${fmt(totals.rows[0].sum_revenue)}`,
    );

    const breadcrumb = page.getByTestId('drill-breadcrumb');
    const crumbs = await breadcrumb
      .getByTestId('drill-step')
      .evaluateAll((els) => els.map((e) => e.textContent));
    check(
      `${when}: the breadcrumb reads All rows › region = ${region}`,
      JSON.stringify(crumbs) === JSON.stringify(['All rows', `region = ${region}`]) &&
        (await breadcrumb.locator('[aria-current="step"]').textContent()) === `region = ${region}`,
      JSON.stringify(crumbs),
    );
    const url = decodeURIComponent(page.url());
    check(
      `${when}: the URL carries the drill-down`,
      url.includes(`/datasets/${datasetId}?`) && url.includes(`d=region:eq:${region}`),
      url,
    );
  };

  await step(
    'drill down: a click on a bar of Groups filters every panel to its region',
    async () => {
      await page.goto(route(base, `/datasets/${datasetId}`));
      const chart = page.locator('[data-testid="groups-chart"][data-dimension="region"]');
      await chart.waitFor({ timeout: 20_000 });
      check(
        'no filter at first: no breadcrumb, "None" in the filter bar',
        (await page.getByTestId('drill-breadcrumb').count()) === 0 &&
          (await page.getByTestId('filter-bar').textContent()).includes('None'),
        'a filter is shown',
      );
      const groups = await client.call('GET', `/datasets/${datasetId}/groups?dimension=region`, {
        token: ctx.token(),
      });
      region = groups.data.groups[1].key; // the second largest, to make the point
      filter = [{ column: 'region', op: 'eq', value: region }];
      await page.waitForTimeout(500); // the bars' entry animation
      const bar = await barOf(chart, region);
      await bar.click();
      await page.getByTestId('drill-breadcrumb').waitFor({ timeout: 10_000 });
      ok(`clicked the bar of ${region}`);
      await checkFiltered('drilled');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(shotsDir, 'drill-down.png'), fullPage: true });
    },
  );

  await step('the drill-down survives a reload (it lives in the URL)', async () => {
    const before = page.url();
    await page.reload();
    await page.getByTestId('drill-breadcrumb').waitFor({ timeout: 20_000 });
    check('the URL is unchanged', page.url() === before, `${page.url()} vs ${before}`);
    await checkFiltered('reloaded');
  });

  await step('back in the breadcrumb to all rows; browser back and forward', async () => {
    const breadcrumb = page.getByTestId('drill-breadcrumb');
    const root = breadcrumb.getByRole('button', { name: 'All rows' });
    await root.focus();
    check(
      'the breadcrumb step is a focusable button',
      await root.evaluate((el) => el === document.activeElement),
      'not focused',
    );
    await page.keyboard.press('Enter');
    await breadcrumb.waitFor({ state: 'detached', timeout: 10_000 });
    const groups = await client.call('GET', `/datasets/${datasetId}/groups?dimension=region`, {
      token: ctx.token(),
    });
    const bars = groups.data.groups.length + (groups.data.other.count > 0 ? 1 : 0);
    await page
      .locator(`[data-testid="groups-chart"][data-bars="${bars}"]`)
      .waitFor({ timeout: 15_000 });
    const url = decodeURIComponent(page.url());
    check('back to every region, and no drill-down in the URL', !url.includes('d=region'), url);
    check(
      'the key figures are the summary again',
      (await page.getByTestId('kpis').getAttribute('data-filtered')) === null,
      'still filtered',
    );
    await page.goBack();
    await page.getByTestId('drill-breadcrumb').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="groups-chart"][data-bars="1"]').waitFor({ timeout: 15_000 });
    ok('browser back returns to the drill-down');
    await page.goForward();
    await page.getByTestId('drill-breadcrumb').waitFor({ state: 'detached', timeout: 10_000 });
    ok('browser forward leaves it again');
  });

  await step('Explore: group by two columns, add a filter chip, download the CSV', async () => {
    await page
      .getByRole('navigation', { name: 'Dataset views' })
      .getByRole('link', { name: 'Explore' })
      .click();
    await page.waitForURL(new RegExp(`/datasets/${datasetId}/explore`));
    const panel = page.getByTestId('explore-panel');
    await panel.getByTestId('explore-table').waitFor({ timeout: 15_000 });
    await panel.getByLabel('Group by').selectOption('region');
    await panel.getByLabel('Then by').selectOption('category');
    const body = {
      group_by: ['region', 'category'],
      measures: [{ agg: 'sum', column: 'revenue' }],
      limit: 100,
    };
    const api = await query(body);
    const table = panel.locator(`[data-testid="explore-table"][data-rows="${api.rows.length}"]`);
    await table.waitFor({ timeout: 15_000 });
    const cells = await tableCells(table);
    // Sums of a decimal column keep its scale (2).
    const money = new Intl.NumberFormat(LOCALE, {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    const expected = api.rows.map((r) => [
      r.region ?? '(empty)',
      r.category,
      money.format(r.sum_revenue),
    ]);
    check(
      `the table has the ${api.rows.length} region × category groups of /query, in its order`,
      JSON.stringify(cells) === JSON.stringify(expected),
      `page ${JSON.stringify(cells.slice(0, 2))} vs API ${JSON.stringify(expected.slice(0, 2))}`,
    );
    const stats = page.getByTestId('explore-stats');
    check(
      'matched / scanned rows as the API says',
      (await stats.getAttribute('data-rows-matched')) === String(api.rows_matched) &&
        (await stats.getAttribute('data-rows-scanned')) === String(api.rows_scanned) &&
        /\d+ ms/.test(await stats.textContent()),
      await stats.textContent(),
    );
    const chart = panel.getByTestId('explore-chart');
    check(
      'a bar chart: regions along the axis, categories as bars',
      (await chart.getAttribute('data-kind')) === 'bar' &&
        Number(await chart.getAttribute('data-series')) ===
          new Set(api.rows.map((r) => r.category)).size,
      `kind ${await chart.getAttribute('data-kind')}, series ${await chart.getAttribute('data-series')}`,
    );
    const url = decodeURIComponent(page.url());
    check(
      'the settings are in the URL',
      url.includes('x.by=region') &&
        url.includes('x.by=category') &&
        url.includes('x.m=sum:revenue'),
      url,
    );

    // A chip: category is one of two, picked from the summary's top values.
    await page.getByTestId('add-filter').click();
    const form = page.getByRole('form', { name: 'Add a filter' });
    await form.getByLabel('Column').selectOption('category');
    await form.getByLabel('Condition').selectOption('in');
    const topCategories = api.rows
      .map((r) => r.category)
      .filter((c, i, all) => all.indexOf(c) === i);
    const picked = topCategories.slice(0, 2).sort();
    for (const c of picked) await form.getByRole('checkbox', { name: c, exact: true }).check();
    await form.getByRole('button', { name: 'Add filter' }).click();
    const chip = page.getByTestId('filter-chip');
    await chip.waitFor({ timeout: 5_000 });
    const chipText = (await chip.textContent()) ?? '';
    check(
      'the chip reads the filter and has a labelled remove button',
      chipText.startsWith(`category is one of ${picked.join(', ')}`) &&
        (await chip
          .getByRole('button', { name: `Remove filter category is one of ${picked.join(', ')}` })
          .count()) === 1,
      chipText,
    );
    const filtered = await query({
      filters: [{ column: 'category', op: 'in', values: picked }],
      ...body,
    });
    await panel
      .locator(`[data-testid="explore-table"][data-rows="${filtered.rows.length}"]`)
      .waitFor({ timeout: 15_000 });
    ok(`the chip leaves ${filtered.rows.length} groups, as /query`);
    await page.screenshot({ path: path.join(shotsDir, 'explore.png'), fullPage: true });

    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 15_000 }),
      panel.getByTestId('explore-csv').click(),
    ]);
    const file = path.join(downloadsDir, download.suggestedFilename() || 'query.csv');
    await download.saveAs(file);
    const lines = (await readFile(file, 'utf8')).trim().split(/\r?\n/);
    check(
      'the CSV has the header region,category,sum_revenue',
      lines[0] === 'region,category,sum_revenue',
      lines[0],
    );
    const apiCsv = await client.call('POST', `/datasets/${datasetId}/query`, {
      token: ctx.token(),
      json: { filters: [{ column: 'category', op: 'in', values: picked }], ...body },
      headers: { Accept: 'text/csv' },
    });
    const apiLines = String(apiCsv.data).trim().split(/\r?\n/);
    check(
      `the CSV has one line per group (${filtered.rows.length}), as the API's CSV`,
      lines.length - 1 === filtered.rows.length &&
        JSON.stringify(lines) === JSON.stringify(apiLines),
      `${lines.length - 1} lines; first ${lines[1]} vs ${apiLines[1]}`,
    );
    check(
      'the download is named .csv',
      download.suggestedFilename().endsWith('.csv'),
      download.suggestedFilename(),
    );

    // Remove the chip with the keyboard.
    await chip.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await chip.waitFor({ state: 'detached', timeout: 5_000 });
    await panel
      .locator(`[data-testid="explore-table"][data-rows="${api.rows.length}"]`)
      .waitFor({ timeout: 15_000 });
    ok('× on the chip (Enter) removes it');
    await page.goto(route(base, `/datasets/${datasetId}`));
    await page.getByTestId('trend-chart').waitFor({ timeout: 20_000 });
  });
}
