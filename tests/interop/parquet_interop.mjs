// Engines nobody here wrote read our Parquet snapshots and agree with our own figures.
//   node parquet_interop.mjs BINARY
// Starts the binary (embedded backends, a temp data directory, a free port), uploads every case
// of the engine catalogue (tests/data/engine) and a generated sales file, and for every version
// that is ready downloads GET .../export?format=parquet and GET .../summary, reads the file with
// DuckDB and with Polars and compares their figures with ours (figures.mjs says how). A version
// that failed must answer its export with 409 not-ready. The export's HTTP contract is checked on
// the way: ETag and 304, ?version=, the format parameter, another tenant's 404.
// Exits non-zero on any mismatch, naming case, column, figure, ours and theirs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Compare } from './figures.mjs';
import { DuckDbFigures, PolarsFigures } from './peers.mjs';
import { SalesCsv } from './sales_csv.mjs';

const kCatalogue = fileURLToPath(new URL('../data/engine/', import.meta.url));
const kMediaTypes = { csv: 'text/csv', json: 'application/json', ndjson: 'application/x-ndjson' };
const kParquetType = 'application/vnd.apache.parquet';
const kFinalDeadlineMs = 300_000;

const failures = [];
function Fail(where, message) {
  failures.push(`${where}: ${message}`);
}

// ---- The server -------------------------------------------------------------------------------

// The binary on port 0 (the kernel picks a free one; it is read back from the ready line). Every
// version that can be read gets a snapshot (--max-rejected-share 1): the catalogue's ragged files
// must show that rejected records are absent, not just fail. The upload quota is lifted because
// one organization uploads the whole catalogue within a minute.
async function StartServer(binary, dir) {
  const args = ['all', '--listen', '127.0.0.1:0', '--data-dir', dir, '--io-threads', '2', '--shutdown-grace', '5',
    '--max-rejected-share', '1', '--quota-uploads-per-minute', '100000'];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const spawned = new Promise((resolve, reject) => {
    child.on('spawn', resolve);
    child.on('error', (e) => reject(new Error(`cannot start ${binary}: ${e.message}`)));
  });
  let log = '';
  child.stderr.on('data', (d) => {
    // The tail is what matters (sanitizer reports come last); a busy log must not grow without end.
    log = (log + d).slice(-1_000_000);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // Whatever ends this process ends the server too (see Main for the signals).
  const killNow = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.on('exit', killNow);
  await spawned;

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 60 s:\n' + log.slice(-4000))), 60_000);
    child.stderr.on('data', () => {
      const m = /"event":"server.listening".*"port":(\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`the server exited (${code ?? signal}):\n${log.slice(-4000)}`)); });
  });
  // Stops it as an operator would (SIGTERM) and says how it ended: with ASAN_OPTIONS=detect_leaks=1
  // a leak makes the exit code non-zero.
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 30_000).unref());
    const ended = await Promise.race([exited, timeout]);
    if (!ended) {
      killNow();
      return { code: null, signal: 'SIGKILL (no exit 30 s after SIGTERM)', log };
    }
    return { ...ended, log };
  };
  return { base: `http://127.0.0.1:${port}`, stop };
}

// ---- HTTP -------------------------------------------------------------------------------------

async function Call(base, path, { token, method = 'GET', body, contentType, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (contentType) h['content-type'] = contentType;
  const res = await fetch(base + path, { method, headers: h, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const json = type.includes('json') && bytes.length ? JSON.parse(bytes.toString('utf8')) : null;
  return { status: res.status, headers: res.headers, bytes, json, type };
}

async function SignUp(base, organization) {
  const r = await Call(base, '/api/v1/auth/signup', { method: 'POST', contentType: 'application/json',
    body: JSON.stringify({ organization, name: 'Interop', email: `interop@${organization.toLowerCase()}.example`, password: 'correct horse battery' }) });
  if (r.status !== 201) throw new Error(`sign-up answered ${r.status}: ${r.bytes}`);
  return r.json.access_token;
}

// Waits until the dataset's given version is failed, or ready with its snapshot (written just
// after ready) settled; the final record.
async function WaitFinal(base, token, id, version) {
  const deadline = Date.now() + kFinalDeadlineMs;
  for (;;) {
    const r = await Call(base, `/api/v1/datasets/${id}`, { token });
    if (r.status !== 200) throw new Error(`GET dataset answered ${r.status}: ${r.bytes}`);
    const settled = r.json.status === 'failed' || (r.json.status === 'ready' && r.json.snapshot?.status !== 'writing');
    if (r.json.version === version && settled) return r.json;
    if (Date.now() > deadline) throw new Error(`version ${version} still ${r.json.status} after ${kFinalDeadlineMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function IsProblem(r, status, slug) {
  return r.status === status && r.type.startsWith('application/problem+json') &&
    (!slug || String(r.json?.type ?? '').endsWith(slug));
}

function Describe(r) {
  return `${r.status} ${r.type} ${r.bytes.toString('utf8').slice(0, 200)}`;
}

// ---- One version: export, summary, two engines ------------------------------------------------

// Downloads a version's snapshot (checking the answer's head) and its summary.
async function Download(ctx, name, id, version) {
  const query = version ? `&version=${version}` : '';
  const exp = await Call(ctx.base, `/api/v1/datasets/${id}/export?format=parquet${query}`, { token: ctx.token });
  if (exp.status !== 200) {
    Fail(name, `export answered ${Describe(exp)}`);
    return null;
  }
  if (exp.type !== kParquetType) Fail(name, `export Content-Type is "${exp.type}", not ${kParquetType}`);
  const etag = exp.headers.get('etag') ?? '';
  if (!/^"[^"]+"$/.test(etag)) Fail(name, `export ETag ${JSON.stringify(etag)} is not a strong validator`);
  const sum = await Call(ctx.base, `/api/v1/datasets/${id}/summary${version ? `?version=${version}` : ''}`, { token: ctx.token });
  if (sum.status !== 200) {
    Fail(name, `summary answered ${Describe(sum)}`);
    return null;
  }
  const path = join(ctx.dir, `${name.replace(/[^\w.-]/g, '_')}.parquet`);
  writeFileSync(path, exp.bytes);
  return { path, etag, bytes: exp.bytes, summary: sum.json, version: Number(exp.headers.get('x-dataset-version')) };
}

// Both engines' figures against our summary; one row of the report.
async function CompareVersion(row, download) {
  for (const [engine, read] of [['duckdb', DuckDbFigures], ['polars', PolarsFigures]]) {
    const t0 = performance.now();
    let cmp;
    let figures;
    try {
      figures = await read(download.path);
      cmp = Compare(download.summary, figures);
    } catch (e) {
      Fail(row.name, `${engine} could not read the snapshot: ${e.message}`);
      row[engine] = 'UNREADABLE';
      continue;
    }
    row.ms[engine] = performance.now() - t0;
    row.checks += cmp.checks;
    if (figures.rowGroups !== undefined) row.rowGroups = figures.rowGroups;
    for (const m of cmp.mismatches) {
      Fail(row.name, `column ${JSON.stringify(m.column)}, ${m.figure} (${engine}): ours ${Show(m.ours)}, theirs ${Show(m.theirs)}`);
    }
    row[engine] = cmp.mismatches.length ? `${cmp.mismatches.length} MISMATCH` : 'ok';
    // Both engines skip the same figures; say so once.
    if (engine === 'duckdb') row.notes.push(...cmp.skipped.map((s) => `${s.column}: ${s.figure} ${s.why}`));
  }
  row.rows = download.summary.rows;
  row.cols = download.summary.columns.length;
}

function Show(v) {
  if (typeof v === 'string') return JSON.stringify(v.length > 120 ? v.slice(0, 120) + '…' : v);
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// Uploads a file as a new dataset (or a new version of one) and waits for the version's end.
async function Upload(ctx, { name, format, body, options = {}, dataset }) {
  const params = new URLSearchParams(dataset ? {} : { name, format });
  for (const [k, v] of Object.entries(options)) params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const path = dataset ? `/api/v1/datasets/${dataset}/versions?${params}` : `/api/v1/datasets?${params}`;
  const t0 = performance.now();
  const r = await Call(ctx.base, path, { token: ctx.token, method: 'POST', contentType: kMediaTypes[format], body });
  if (r.status !== 202) throw new Error(`${name}: upload answered ${Describe(r)}`);
  const final = await WaitFinal(ctx.base, ctx.token, r.json.id, r.json.version);
  return { id: r.json.id, version: r.json.version, status: final.status, error: final.error, ms: performance.now() - t0 };
}

function NewRow(name, format) {
  return { name, format, status: '', rows: '', cols: '', rowGroups: '', checks: 0, duckdb: '-', polars: '-', notes: [], ms: {} };
}

// ---- The catalogue -----------------------------------------------------------------------------

function CatalogueCases() {
  return readdirSync(kCatalogue, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort().map((name) => {
    const dir = join(kCatalogue, name);
    const format = ['csv', 'json', 'ndjson'].find((ext) => existsSync(join(dir, `input.${ext}`)));
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    return { name, format, input: join(dir, `input.${format}`), expected };
  });
}

// The upload parameters of a case's options, as catalogue_test.cpp applies them to the engine:
// types (per-column hints), date_order, decimal. Options the API has no parameter for are left
// out and listed in the case's notes.
function UploadOptions(expected) {
  const options = {};
  const ignored = [];
  for (const [k, v] of Object.entries(expected.options ?? {})) {
    if (['types', 'roles', 'date_order', 'decimal'].includes(k)) options[k] = v;
    else ignored.push(k);
  }
  return { options, ignored };
}

async function RunCase(ctx, c) {
  const row = NewRow(c.name, c.format ?? '?');
  if (!c.format) {
    Fail(c.name, 'no input.csv, input.json or input.ndjson');
    return row;
  }
  const { options, ignored } = UploadOptions(c.expected);
  if (ignored.length) row.notes.push(`options not passable through the API, ignored: ${ignored.join(', ')}`);
  const up = await Upload(ctx, { name: c.name, format: c.format, body: readFileSync(c.input), options });
  row.status = up.status;
  row.ms.ready = up.ms;
  // The catalogue says which files cannot be read at all; every other one must get a snapshot.
  const wantFailed = 'error' in c.expected;
  if ((up.status === 'failed') !== wantFailed) {
    Fail(c.name, `the version is ${up.status}${up.error ? ` (${JSON.stringify(up.error)})` : ''}; the catalogue expects ${wantFailed ? 'failed' : 'ready'}`);
  }
  if (up.status === 'failed') {
    await CheckNotReady(ctx, up.id, row);
  } else {
    const download = await Download(ctx, c.name, up.id);
    if (download) await CompareVersion(row, download);
  }
  return row;
}

// A dataset whose only version failed has no snapshot: 409 problem+json, type …/not-ready.
async function CheckNotReady(ctx, id, row) {
  const r = await Call(ctx.base, `/api/v1/datasets/${id}/export?format=parquet`, { token: ctx.token });
  const ok = IsProblem(r, 409, 'not-ready');
  Expect(row, ok, `export of a failed version answered ${Describe(r)}; expected 409 problem+json …/not-ready`);
  if (ok) row.duckdb = row.polars = 'n/a (409 ok)';
}

// ---- The sales file and the export's HTTP contract ---------------------------------------------

// Uploads one version and compares its snapshot; the download, or null when there is none.
async function SalesVersion(ctx, row, upload) {
  const up = await Upload(ctx, upload);
  row.status = up.status;
  row.ms.ready = up.ms;
  if (up.status !== 'ready') {
    Fail(row.name, `the version is ${up.status}: ${JSON.stringify(up.error)}`);
    return null;
  }
  const download = await Download(ctx, row.name, up.id);
  if (download) await CompareVersion(row, download);
  return download ? { ...download, id: up.id } : null;
}

// The generated file, then a second, different version of the same dataset: the export follows
// the newest, ?version=1 still gives the first, byte for byte.
async function RunSales(ctx, rows) {
  const v1 = NewRow(`sales ${rows} rows (v1)`, 'csv');
  const v2 = NewRow('sales 5000 rows (v2)', 'csv');
  const contract = NewRow('export HTTP contract', '');
  const first = await SalesVersion(ctx, v1, { name: 'sales', format: 'csv', body: SalesCsv({ rows, seed: 42 }) });
  if (!first) return [v1];
  await CheckHttpContract(ctx, contract, first);
  const second = await SalesVersion(ctx, v2, { name: v2.name, format: 'csv', body: SalesCsv({ rows: 5000, seed: 7 }), dataset: first.id });
  if (second) {
    Expect(contract, second.version === 2, `the export without ?version is version ${second.version}, not the newest (2)`);
    const again = await Download(ctx, 'sales ?version=1', first.id, 1);
    if (again) {
      Expect(contract, again.version === 1, `?version=1 answered version ${again.version}`);
      Expect(contract, again.etag === first.etag, `?version=1 has ETag ${again.etag}, the first download had ${first.etag}`);
      Expect(contract, again.bytes.equals(first.bytes), '?version=1 is not the bytes first downloaded');
      Expect(contract, again.summary.rows === rows, `?version=1's summary has ${again.summary.rows} rows, not ${rows}`);
    }
  }
  return [v1, v2, contract];
}

function Expect(row, ok, message) {
  row.checks++;
  if (!ok) Fail(row.name, message);
}

async function CheckHttpContract(ctx, row, download) {
  const path = `/api/v1/datasets/${download.id}/export?format=parquet`;
  const cached = await Call(ctx.base, path, { token: ctx.token, headers: { 'if-none-match': download.etag } });
  Expect(row, cached.status === 304 && cached.bytes.length === 0, `If-None-Match with the ETag answered ${Describe(cached)}, not an empty 304`);
  const stale = await Call(ctx.base, path, { token: ctx.token, headers: { 'if-none-match': '"not-this-one"' } });
  Expect(row, stale.status === 200, `If-None-Match with another ETag answered ${stale.status}, not 200`);
  const csv = await Call(ctx.base, `/api/v1/datasets/${download.id}/export?format=csv`, { token: ctx.token });
  Expect(row, IsProblem(csv, 400), `format=csv answered ${Describe(csv)}; expected 400 problem+json`);
  const none = await Call(ctx.base, `/api/v1/datasets/${download.id}/export`, { token: ctx.token });
  Expect(row, IsProblem(none, 400), `no format answered ${Describe(none)}; expected 400 problem+json`);
  const missing = await Call(ctx.base, `${path}&version=99`, { token: ctx.token });
  Expect(row, IsProblem(missing, 404), `?version=99 answered ${Describe(missing)}; expected 404 problem+json`);
  // Another organization gets the answer an unknown id gets, whichever version it asks for.
  for (const q of ['', '&version=1']) {
    const other = await Call(ctx.base, path + q, { token: ctx.otherToken });
    Expect(row, IsProblem(other, 404), `another tenant's export${q} answered ${Describe(other)}; expected 404 problem+json`);
  }
  const anonymous = await Call(ctx.base, path, {});
  Expect(row, anonymous.status === 401, `an export without a token answered ${anonymous.status}, not 401`);
  row.status = 'checked';
}

// ---- The report --------------------------------------------------------------------------------

function Table(rows) {
  const ms = (v) => (v === undefined ? '-' : String(Math.round(v)));
  const header = ['case', 'fmt', 'status', 'rows', 'cols', 'row groups', 'checks', 'duckdb', 'polars', 'ready ms', 'duckdb ms', 'polars ms'];
  const lines = rows.map((r) => [r.name, r.format, r.status, String(r.rows), String(r.cols), String(r.rowGroups), String(r.checks),
    r.duckdb, r.polars, ms(r.ms.ready), ms(r.ms.duckdb), ms(r.ms.polars)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const numeric = (i) => i >= 3 && header[i] !== 'duckdb' && header[i] !== 'polars';
  const fmt = (cells) => cells.map((c, i) => (numeric(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
  const notes = rows.filter((r) => r.notes.length);
  if (notes.length) {
    console.log('\nSkipped figures (not in our summary, or not in the file):');
    for (const r of notes) for (const n of r.notes) console.log(`  ${r.name}: ${n}`);
  }
}

async function Main() {
  const binary = process.argv[2];
  if (!binary) {
    console.error('usage: node parquet_interop.mjs BINARY');
    process.exit(2);
  }
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'is-interop-'));
  // Interrupted (Ctrl-C, SIGTERM): the 'exit' handlers kill the server and remove the directory,
  // and they only run when the signal ends the process through process.exit.
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
  let server;
  const rows = [];
  try {
    server = await StartServer(binary, join(dir, 'data'));
    const ctx = { base: server.base, dir, token: await SignUp(server.base, 'Interop'), otherToken: await SignUp(server.base, 'Elsewhere') };
    for (const c of CatalogueCases()) rows.push(await RunCase(ctx, c));
    // Enough rows for two row groups (the snapshot cuts one per ~8 MiB of input).
    rows.push(...await RunSales(ctx, 150_000));
  } catch (e) {
    Fail('run', e.stack ?? String(e));
  } finally {
    if (server) {
      const end = await server.stop();
      if (end.code !== 0) Fail('server', `exited with ${end.code ?? end.signal} after SIGTERM; the log ends:\n${end.log.slice(-6000)}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  // The table of what ran, also when the run stopped half-way.
  if (rows.length) {
    console.log();
    Table(rows);
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (failures.length) {
    console.error(`\n${failures.length} FAILURES:`);
    for (const f of failures) console.error(`  ${f}`);
    console.error(`\nparquet interop: FAILED in ${seconds} s`);
    process.exit(1);
  }
  const compared = rows.filter((r) => r.duckdb === 'ok').length;
  console.log(`\nparquet interop: ${compared} snapshots read by DuckDB and Polars agree with our figures (${seconds} s)`);
}

await Main();
