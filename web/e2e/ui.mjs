// What the end-to-end scripts share: the pass/fail report, Chromium, the API client (Node side)
// and the UI steps a person takes in every run (sign up through the form, upload a CSV and wait
// until its row says Ready). Each script is its own process, so the report is module state.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.resolve(here, '..');
export const repoDir = path.resolve(webDir, '..');
export const distDir = path.join(webDir, 'dist');
export const shotsDir =
  process.env.INSIGHTSTREAM_E2E_OUT ??
  process.env.E2E_SCREENSHOTS ??
  path.join(repoDir, 'build/e2e');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const LOCALE = 'en-US';

// ---------------------------------------------------------------------------------------------
// The report.

let passed = 0;
let failed = 0;
const failures = [];
let onFailure;

export function ok(name) {
  passed++;
  console.log(`  ok  ${name}`);
}

export function fail(name, reason) {
  failed++;
  failures.push(`${name}: ${reason}`);
  console.log(`  FAIL ${name}: ${reason}`);
}

export function check(name, condition, reason) {
  if (condition) ok(name);
  else fail(name, reason);
  return condition;
}

export function describeError(error) {
  return error instanceof Error
    ? (error.stack ?? error.message).split('\n').slice(0, 4).join(' | ')
    : String(error);
}

/** Called with the step's name when a step fails (e.g. to take a screenshot). */
export function onStepFailure(fn) {
  onFailure = fn;
}

/** Run one step; an exception fails it (and the run goes on where it can). False if it threw. */
export async function step(name, fn) {
  console.log(`- ${name}`);
  const failedBefore = failed;
  let threw = false;
  try {
    await fn();
  } catch (error) {
    threw = true;
    fail(name, describeError(error));
  }
  if (failed > failedBefore && onFailure)
    await Promise.resolve(onFailure(name)).catch(() => undefined);
  return !threw;
}

export function failedCount() {
  return failed;
}

/** Print the totals and set a non-zero exit code on any failure. */
export function finish() {
  console.log(`\nscreenshots in ${shotsDir}`);
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0) {
    console.log('\nFailed:');
    for (const f of failures) console.log(`  - ${f}`);
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// The browser.

export function launchChromium() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * Collect uncaught errors and console errors of a page into `sink`. Chromium logs every non-2xx
 * answer; the only expected one is the anonymous session restore (POST /auth/refresh → 401) on
 * the first visit.
 */
export function watchConsole(page, who, sink) {
  page.on('pageerror', (error) => sink.push(`${who}: uncaught ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (/Failed to load resource: the server responded with a status of 401/.test(text)) return;
    sink.push(`${who}: ${text}`);
  });
}

/**
 * Record every progress value and list status the pages of `context` show, however briefly
 * (processing can take milliseconds), in `window.__e2eProgress`.
 */
export async function recordProgress(context) {
  await context.addInitScript(() => {
    const seen = { upload: [], processing: [], statuses: [] };
    window.__e2eProgress = seen;
    const record = () => {
      for (const el of document.querySelectorAll('[data-testid="upload-progress"]')) {
        const v = Number(el.getAttribute('data-value'));
        if (seen.upload[seen.upload.length - 1] !== v) seen.upload.push(v);
      }
      for (const el of document.querySelectorAll('[data-testid="processing-progress"]')) {
        const v = el.getAttribute('data-value');
        if (v !== null && seen.processing[seen.processing.length - 1] !== Number(v))
          seen.processing.push(Number(v));
      }
      for (const el of document.querySelectorAll('[data-testid="dataset-row"]')) {
        const s = el.getAttribute('data-status');
        if (seen.statuses[seen.statuses.length - 1] !== s) seen.statuses.push(s);
      }
    };
    new MutationObserver(record).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// API helpers (Node side), to compare what the page shows with what the API answers.

export function api(base) {
  const call = async (method, url, { token, json, body, headers = {} } = {}) => {
    const h = { Accept: 'application/json', ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload = body;
    if (json !== undefined) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(json);
    }
    const response = await fetch(`${base}/api/v1${url}`, { method, headers: h, body: payload });
    const text = await response.text();
    let data = text;
    try {
      data = JSON.parse(text);
    } catch {
      // text
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      data,
    };
  };
  return {
    call,
    async login(email, password) {
      const r = await call('POST', '/auth/login', { json: { email, password } });
      if (r.status !== 200)
        throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.data)}`);
      return r.data.access_token;
    },
  };
}

/** A client route; hash URLs load from "/" in both router modes (see src/lib/routing.ts). */
export const route = (base, path) => `${base}/#${path}`;

export const fmt = (value, max = 2) =>
  new Intl.NumberFormat(LOCALE, { maximumFractionDigits: max }).format(value);

// ---------------------------------------------------------------------------------------------
// UI steps.

/**
 * An anonymous visit of `base` lands on the login page; "Create an account", a too short
 * password is refused next to its field, then `user` ({organization, name, email, password})
 * signs up and lands on the datasets page of their organization.
 */
export async function signUp(page, base, user) {
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login$/, { timeout: 15_000 });
  ok('an anonymous visit lands on the login page');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Organization').fill(user.organization);
  await page.getByLabel('Your name').fill(user.name);
  await page.getByLabel('E-mail').fill(user.email);
  // A short password shows a field error next to the field, before any request.
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Use at least 10 characters').waitFor({ timeout: 5_000 });
  ok('a short password is refused next to its field');
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/datasets$/, { timeout: 15_000 });
  await page.getByRole('heading', { name: 'Datasets', level: 1 }).waitFor();
  return check(
    'signed up and on the datasets page',
    (await page.getByTestId('org-name').textContent()) === user.organization,
    'the organization name is not shown',
  );
}

/**
 * On the datasets page, upload `text` as the file `fileName` through the (hidden) file input of
 * the upload zone and wait until the dataset's row says ready. The dataset is named after the
 * file without its extension. Returns the row and the dataset's id.
 */
export async function uploadCsv(page, fileName, text, { readyTimeout = 60_000 } = {}) {
  const name = fileName.replace(/\.[^.]+$/, '');
  await page
    .getByTestId('upload-input')
    .setInputFiles({ name: fileName, mimeType: 'text/csv', buffer: Buffer.from(text) });
  const row = page.getByTestId('dataset-row').filter({ hasText: name }).first();
  await row.waitFor({ timeout: 15_000 });
  await page
    .locator('[data-testid="dataset-row"][data-status="ready"]')
    .filter({ hasText: name })
    .first()
    .waitFor({ timeout: readyTimeout });
  return { row, id: (await row.getAttribute('data-dataset-id')) ?? '' };
}
