// The containers' health check (bash only: the runtime image has no curl), run for real against a
// local HTTP server on a free port instead of 8080.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { container, synth } from './helpers';

const command: string[] = container(synth().service, 'insightstream-worker').HealthCheck.Command;

/** The exit code of the health check pointed at `port` (asynchronous: the server answers meanwhile). */
function runCheck(port: number): Promise<number | null> {
  assert.deepEqual(command.slice(0, 3), ['CMD', 'bash', '-c']);
  const script = command[3]!.replace('/dev/tcp/127.0.0.1/8080', `/dev/tcp/127.0.0.1/${port}`);
  return new Promise((resolve) => spawn('bash', ['-c', script], { timeout: 5000 }).on('exit', (code) => resolve(code)));
}

async function serve(status: number): Promise<{ port: number; paths: string[]; close: () => void }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, paths, close: () => server.close() };
}

describe('container health check', () => {
  it('passes when GET /healthz answers 200', async () => {
    const s = await serve(200);
    try {
      assert.equal(await runCheck(s.port), 0);
      assert.deepEqual(s.paths, ['/healthz']);
    } finally {
      s.close();
    }
  });

  it('fails when /healthz answers 503', async () => {
    const s = await serve(503);
    try {
      assert.notEqual(await runCheck(s.port), 0);
    } finally {
      s.close();
    }
  });

  it('fails when nothing listens', async () => {
    const s = await serve(200);
    s.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.notEqual(await runCheck(s.port), 0);
  });
});
