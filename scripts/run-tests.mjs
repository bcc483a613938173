#!/usr/bin/env node
// Runs the whole test suite with Node's test runner.
// When REDIS_URL is unset it starts a private, throw-away redis-server on a free
// loopback port (no persistence) so the suite never touches a user's database.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis } from './redis-server.mjs';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : findTests('test');
let redis = null;
const env = { ...process.env };
if (!env.REDIS_URL) {
  redis = await startRedis();
  env.REDIS_URL = redis.url;
  console.log(`# private redis-server for the tests at ${redis.url}`);
}

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env,
});
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
if (redis) await redis.stop();
process.exit(code);
