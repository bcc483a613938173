// Starts a throw-away three-master Redis Cluster on free loopback ports (no
// persistence, no replicas) for the Cluster contract run.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/redis-server.mjs';
import type { HostPort } from '../../src/config/types.ts';

const run = promisify(execFile);

export interface RunningCluster {
  nodes: HostPort[];
  stop(): Promise<void>;
}

async function startNode(dir: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const busPort = await freePort();
  const proc = spawn(
    'redis-server',
    [
      '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('Ready to accept connections')) {
        proc.stdout?.off('data', onData);
        proc.stdout?.resume();
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${seen}`)));
  });
  return { port, proc };
}

/** Waits until every node reports the cluster as usable. */
async function untilClusterOk(ports: number[]): Promise<void> {
  const clients = ports.map((port) => new Redis({ port, host: '127.0.0.1', lazyConnect: false }));
  try {
    for (;;) {
      const infos = await Promise.all(clients.map((c) => c.cluster('INFO')));
      if (infos.every((info) => String(info).includes('cluster_state:ok'))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await Promise.all(clients.map((c) => c.quit()));
  }
}

export async function startCluster(): Promise<RunningCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-cluster-'));
  const started: Array<{ port: number; proc: ChildProcess }> = [];
  const stop = async () => {
    await Promise.all(
      started.map(async ({ proc }) => {
        if (proc.exitCode !== null) return;
        const exited = once(proc, 'exit');
        proc.kill('SIGTERM');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) started.push(await startNode(dir));
    const addresses = started.map((n) => `127.0.0.1:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await untilClusterOk(started.map((n) => n.port));
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: started.map((n) => ({ host: '127.0.0.1', port: n.port })), stop };
}
