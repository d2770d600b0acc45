// Starts the real binary, drives every documented operation we can drive without side effects
// on other tests, and validates each real response (status, content type, body) against the
// OpenAPI document with Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses).
//   node validate.mjs BINARY
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const binary = process.argv[2];
if (!binary) { console.error('usage: node validate.mjs BINARY'); process.exit(2); }
const doc = JSON.parse(readFileSync(new URL('../../docs/api/openapi.json', import.meta.url)));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'openapi', components: doc.components });

const dir = mkdtempSync(join(tmpdir(), 'is-contract-'));
const server = spawn(binary, ['all', '--listen', '127.0.0.1:0', '--data-dir', dir, '--io-threads', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('server did not start:\n' + log)), 60000);
  server.stderr.on('data', (d) => {
    log += d;
    const m = /"event":"server.listening".*"port":(\d+)/.exec(log);
    if (m) { clearTimeout(timer); resolve(Number(m[1])); }
  });
  server.on('exit', (c) => reject(new Error('server exited ' + c + ':\n' + log)));
});
const base = `http://127.0.0.1:${port}`;
let failures = 0;
let checked = 0;

// The schema a documented response of (path template, method, status, content type) must match.
function responseSchema(template, method, status, type) {
  const op = doc.paths[template]?.[method.toLowerCase()];
  if (!op) return { error: `${method} ${template} is not documented` };
  let resp = op.responses[String(status)];
  if (!resp) return { error: `${method} ${template} does not document status ${status}` };
  if (resp.$ref) resp = doc.components.responses[resp.$ref.split('/').pop()];
  if (!resp.content) return { schema: null };
  const media = Object.keys(resp.content).find((m) => type.startsWith(m));
  if (!media) return { error: `${method} ${template} ${status}: content type ${type} is not documented` };
  return { schema: resp.content[media].schema, media };
}

async function call(method, path, template, { token, body, contentType, accept, expect } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (contentType) headers['content-type'] = contentType;
  if (accept) headers.accept = accept;
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  checked++;
  const fail = (why) => { failures++; console.error(`FAIL ${method} ${path} → ${res.status}: ${why}\n  ${text.slice(0, 300)}`); };
  if (expect && res.status !== expect) fail(`expected status ${expect}`);
  const { schema, error } = responseSchema(template, method, res.status, type || 'none');
  if (error) { fail(error); return { status: res.status, text }; }
  if (schema && type.includes('json')) {
    const validate = ajv.compile({ $ref: undefined, ...schema, $id: undefined, $schema: undefined, ...rewriteRefs(schema) });
    const data = JSON.parse(text);
    if (!validate(data)) fail('body does not match the schema: ' + ajv.errorsText(validate.errors));
    return { status: res.status, json: data, text };
  }
  return { status: res.status, text };
}

// Component references in the document point into '#/components/...'; resolve them via 'openapi#'.
function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? 'openapi' + v : rewriteRefs(v);
    return out;
  }
  return node;
}

try {
  await call('GET', '/healthz', '/healthz', { expect: 200 });
  await call('GET', '/readyz', '/readyz', { expect: 200 });
  await call('GET', '/metrics', '/metrics', { expect: 200 });
  await call('GET', '/.well-known/jwks.json', '/.well-known/jwks.json', { expect: 200 });
  await call('GET', '/api/v1/openapi.json', '/api/v1/openapi.json', { expect: 200 });
  const signup = await call('POST', '/api/v1/auth/signup', '/api/v1/auth/signup', { contentType: 'application/json', expect: 201,
    body: JSON.stringify({ organization: 'Contract', email: 'contract@example.com', password: 'correct horse battery' }) });
  // The same address again: a second organization (never a 409 that would reveal the first).
  const second = await call('POST', '/api/v1/auth/signup', '/api/v1/auth/signup', { contentType: 'application/json', expect: 201,
    body: JSON.stringify({ organization: 'Contract Two', email: 'contract@example.com', password: 'correct horse battery' }) });
  await call('POST', '/api/v1/auth/signup', '/api/v1/auth/signup', { contentType: 'application/json', expect: 400, body: '{"email":1}' });
  const login = await call('POST', '/api/v1/auth/login', '/api/v1/auth/login', { contentType: 'application/json', expect: 200,
    body: JSON.stringify({ email: 'contract@example.com', password: 'correct horse battery' }) });
  await call('POST', '/api/v1/auth/login', '/api/v1/auth/login', { contentType: 'application/json', expect: 401,
    body: JSON.stringify({ email: 'contract@example.com', password: 'wrong password!' }) });
  const token = login.json.access_token;
  const refreshed = await call('POST', '/api/v1/auth/refresh', '/api/v1/auth/refresh', { contentType: 'application/json', expect: 200,
    body: JSON.stringify({ refresh_token: signup.json.refresh_token }) });
  await call('GET', '/api/v1/me', '/api/v1/me', { token, expect: 200 });
  await call('GET', '/api/v1/me', '/api/v1/me', { expect: 401 });
  await call('POST', '/api/v1/auth/switch', '/api/v1/auth/switch', { token, contentType: 'application/json', expect: 200,
    body: JSON.stringify({ organization: second.json.organization.id }) });
  await call('POST', '/api/v1/auth/switch', '/api/v1/auth/switch', { token, contentType: 'application/json', expect: 404,
    body: JSON.stringify({ organization: 'org_nope' }) });
  // A dataset with a bad row, then every insight as JSON and CSV.
  let csv = 'order_date,region,revenue\n';
  for (let i = 0; i < 400; i++) csv += `2024-${String(i % 12 + 1).padStart(2, '0')}-15,${['North', 'South'][i % 2]},${(i * 1.25).toFixed(2)}\n`;
  csv += 'broken,row\n';
  const up = await call('POST', '/api/v1/datasets?name=contract&format=csv', '/api/v1/datasets', { token, contentType: 'text/csv', body: csv, expect: 202 });
  const id = up.json.id;
  for (let i = 0; i < 600; i++) {
    const d = await (await fetch(`${base}/api/v1/datasets/${id}`, { headers: { authorization: `Bearer ${token}` } })).json();
    if (d.status === 'ready') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await call('GET', '/api/v1/datasets', '/api/v1/datasets', { token, expect: 200 });
  await call('GET', `/api/v1/datasets/${id}`, '/api/v1/datasets/{id}', { token, expect: 200 });
  await call('GET', `/api/v1/datasets/${id}/errors`, '/api/v1/datasets/{id}/errors', { token, expect: 200 });
  await call('GET', `/api/v1/datasets/${id}/errors`, '/api/v1/datasets/{id}/errors', { token, accept: 'text/csv', expect: 200 });
  await call('GET', `/api/v1/datasets/${id}/events`, '/api/v1/datasets/{id}/events', { token, expect: 200 });
  const insights = [['schema', ''], ['summary', ''], ['timeseries', '?interval=quarter&compare=yoy'], ['timeseries', '?agg=count&interval=week'],
    ['groups', '?dimension=region'], ['breakdown', '?dimension=region&interval=quarter']];
  for (const [kind, query] of insights) {
    await call('GET', `/api/v1/datasets/${id}/${kind}${query}`, `/api/v1/datasets/{id}/${kind}`, { token, expect: 200 });
    await call('GET', `/api/v1/datasets/${id}/${kind}${query}`, `/api/v1/datasets/{id}/${kind}`, { token, accept: 'text/csv', expect: 200 });
  }
  await call('GET', `/api/v1/datasets/${id}/groups?dimension=revenue`, '/api/v1/datasets/{id}/groups', { token, expect: 400 });
  await call('GET', `/api/v1/datasets/nope/summary`, '/api/v1/datasets/{id}/summary', { token, expect: 404 });
  await call('POST', `/api/v1/datasets/${id}/versions`, '/api/v1/datasets/{id}/versions', { token, contentType: 'text/csv', body: csv, expect: 202 });
  // Members, keys, audit.
  const member = await call('POST', '/api/v1/users', '/api/v1/users', { token, contentType: 'application/json', expect: 201,
    body: JSON.stringify({ email: 'member@example.com', role: 'viewer', password: 'member password 1' }) });
  await call('GET', '/api/v1/users', '/api/v1/users', { token, expect: 200 });
  await call('PATCH', `/api/v1/users/${member.json.id}`, '/api/v1/users/{id}', { token, contentType: 'application/json', expect: 200, body: '{"role":"analyst"}' });
  await call('POST', `/api/v1/users/${member.json.id}/password`, '/api/v1/users/{id}/password', { token, contentType: 'application/json', expect: 204,
    body: JSON.stringify({ password: 'temporary pass 1' }) });
  await call('POST', `/api/v1/users/${member.json.id}/password`, '/api/v1/users/{id}/password', { token, contentType: 'application/json', expect: 400,
    body: JSON.stringify({ password: 'short' }) });
  await call('DELETE', `/api/v1/users/${member.json.id}`, '/api/v1/users/{id}', { token, expect: 204 });
  const key = await call('POST', '/api/v1/api-keys', '/api/v1/api-keys', { token, contentType: 'application/json', expect: 201, body: '{"name":"ci","scopes":["read"]}' });
  await call('GET', '/api/v1/api-keys', '/api/v1/api-keys', { token, expect: 200 });
  await call('DELETE', `/api/v1/api-keys/${key.json.id}`, '/api/v1/api-keys/{id}', { token, expect: 204 });
  await call('GET', '/api/v1/audit', '/api/v1/audit', { token, expect: 200 });
  await call('POST', '/api/v1/me/password', '/api/v1/me/password', { token, contentType: 'application/json', expect: 400,
    body: JSON.stringify({ current_password: 'wrong password!', new_password: 'a new password 1' }) });
  const changed = await call('POST', '/api/v1/me/password', '/api/v1/me/password', { token, contentType: 'application/json', expect: 200,
    body: JSON.stringify({ current_password: 'correct horse battery', new_password: 'a new password 1' }) });
  await call('GET', '/api/v1/me', '/api/v1/me', { token, expect: 401 });
  await call('DELETE', `/api/v1/datasets/${id}`, '/api/v1/datasets/{id}', { token: changed.json.access_token, expect: 204 });
  await call('POST', '/api/v1/auth/logout', '/api/v1/auth/logout', { contentType: 'application/json', expect: 204,
    body: JSON.stringify({ refresh_token: refreshed.json.refresh_token }) });
} catch (e) {
  failures++;
  console.error(e);
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${checked} responses checked against the OpenAPI document, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
