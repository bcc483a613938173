// Starts a private redis-server on a free loopback port, without persistence.
// Shared by the test runner and the benchmark.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts redis-server; resolves once it accepts connections. */
export async function startRedis({ port } = {}) {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-redis-'));
  const proc = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  // Wait for redis's own readiness line rather than polling the port.
  await new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk) => {
      seen += chunk.toString();
      if (seen.includes('Ready to accept connections')) {
        proc.stdout.off('data', onData);
        proc.stdout.resume();
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.once('error', (err) => reject(new Error(`cannot start redis-server (is it installed?): ${err.message}`)));
    proc.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before it was ready:\n${seen}`)));
  });
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    proc,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
