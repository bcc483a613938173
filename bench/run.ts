// The gateway's cost, measured against the bare proxies in one run on one
// machine: `npm run bench` (node --import tsx bench/run.ts).
//
// Starts its own redis-server, upstream, proxies and gateways (each server in
// its own process, the load generator in another), loopback only, prints a
// table and stops. Options:
//   --duration S        seconds per measurement (default 8), after a 2 s warm-up
//   --connections A,B   connection counts (default 16,128)
//   --rows 1,4,7        only these rows
//   --profile           run the gateways under --cpu-prof; prints the top frames
//   --no-install        do not try `apt-get install nginx` when nginx is missing
// See BENCHMARKS.md for a run and how to read it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis, freePort } from '../scripts/redis-server.mjs';
import type { LoadOptions, LoadResult } from './load.ts';
import { topFrames } from './profile.ts';
import { hashPassword } from '../src/auth/passwords.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '16,128' },
    rows: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-install': { type: 'boolean', default: false },
  },
});
const DURATION = Number(args.duration);
const WARMUP = 2;
const CONNECTIONS = args.connections.split(',').map(Number);
const ROWS = args.rows ? new Set(args.rows.split(',').map(Number)) : null;
const PASSWORD = 'bench correct horse battery';
const KEY_PREFIX = 'otpgate-bench:';
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

interface Server {
  info: Record<string, unknown>;
  url: string;
  rss(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * The servers run as compiled JavaScript, as the gateway does in production
 * (`npm run build`): under tsx a process carries its TypeScript loader too
 * (about 35 MB more RSS, and some CPU). bench/tsconfig.json compiles
 * bench/servers.ts and src/ into node_modules/.cache, where the packages resolve.
 */
function buildServers(): string {
  const out = here('../node_modules/.cache/otpgate-bench');
  rmSync(out, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [here('../node_modules/typescript/bin/tsc'), '-p', here('./tsconfig.json'), '--outDir', out], { stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('compiling the bench servers failed');
  return join(out, 'bench', 'servers.js');
}

/** Starts bench/servers.ts in its own process and waits for its ready line. */
async function startNodeServer(kind: string, options: Record<string, unknown>, nodeArgs: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [...nodeArgs, serversScript, kind, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting: Array<(line: Record<string, unknown>) => void> = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.startsWith('{"bench":')) return; // the gateway's own log
    waiting.shift()?.(JSON.parse(line) as Record<string, unknown>);
  });
  const next = (): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      waiting.push(resolve);
      void exited.then(() => reject(new Error(`${kind} server exited`)));
    });
  const info = await next();
  return {
    info,
    url: `http://127.0.0.1:${String(info.port)}`,
    async rss() {
      child.stdin?.write('rss\n');
      return ((await next()).maxRssKb as number) / 1024;
    },
    async stop() {
      child.stdin?.end();
      await exited;
    },
  };
}

function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', here('./load.ts'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited with ${code}`))));
  });
}

// ---------------------------------------------------------------- nginx

function findNginx(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : null;
}

function installNginx(): boolean {
  if (args['no-install'] || process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0) return false;
  console.log('nginx not found: apt-get install -y nginx ...');
  const result = spawnSync('apt-get', ['install', '-y', '-q', 'nginx'], { stdio: 'ignore', timeout: 180_000 });
  return result.status === 0;
}

function waitForPort(port: number, tries = 100): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = (left: number): void => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (left <= 0) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(() => attempt(left - 1), 50);
      });
    };
    attempt(tries);
  });
}

/** nginx as a plain keep-alive reverse proxy, one worker (the gateway is one process too). */
async function startNginx(upstreamPort: number): Promise<Server | string> {
  let binary = findNginx();
  if (binary === null && installNginx()) binary = findNginx();
  if (binary === null) return 'nginx not found and not installable here (apt-get as root); row skipped';
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-bench-nginx-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  );
  const child: ChildProcess = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([waitForPort(port), exited.then(() => Promise.reject(new Error(stderr.trim())))]);
  } catch (err) {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    return `nginx did not start (${(err as Error).message}); row skipped`;
  }
  return {
    info: { binary },
    url: `http://127.0.0.1:${port}`,
    rss: () => Promise.resolve(null),
    async stop() {
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- Redis accounting

async function commandCalls(redis: Redis): Promise<number> {
  const text = (await redis.info('commandstats')) as string;
  let calls = 0;
  for (const m of text.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) {
    if (m[1] !== 'info') calls += Number(m[2]);
  }
  return calls;
}

// ---------------------------------------------------------------- logins

/** Full logins through the real pages (GET the form, POST it back) by `workers` clients for `seconds`. */
async function measureLogins(base: string, workers: number, seconds: number): Promise<{ perSecond: number; p50: number }> {
  const until = Date.now() + seconds * 1000;
  const times: number[] = [];
  let done = 0;
  async function worker(_: unknown, n: number): Promise<void> {
    while (Date.now() < until) {
      const started = performance.now();
      const page = await fetch(`${base}/_otpgate/login?next=%2Fadmin%2F`, { headers: { accept: 'text/html' } });
      const html = await page.text();
      const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const form = new URLSearchParams({ username: `login${n}`, password: PASSWORD, next: '/admin/' });
      for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
        const name = /name="([^"]*)"/.exec(m[0])?.[1];
        const value = /value="([^"]*)"/.exec(m[0])?.[1];
        if (name && value !== undefined && name !== 'next') form.set(name, value.replace(/&amp;/g, '&'));
      }
      const res = await fetch(`${base}/_otpgate/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies, origin: base, accept: 'text/html' },
        body: form.toString(),
      });
      await res.arrayBuffer();
      if (res.status !== 303) throw new Error(`login answered ${res.status}`);
      times.push(performance.now() - started);
      done++;
    }
  }
  const started = Date.now();
  await Promise.all(Array.from({ length: workers }, worker));
  times.sort((a, b) => a - b);
  return { perSecond: done / ((Date.now() - started) / 1000), p50: times[Math.floor(times.length / 2)] ?? Number.NaN };
}

// ---------------------------------------------------------------- the run

interface Row {
  n: number;
  name: string;
  byConnections: Map<number, LoadResult>;
  rssMb: number | null;
  note?: string;
}

const rows: Row[] = [];
const notes: string[] = [];
const want = (n: number): boolean => ROWS === null || ROWS.has(n);

async function measure(row: Row, url: string, headers: Record<string, string> = {}): Promise<void> {
  for (const connections of CONNECTIONS) {
    const result = await runLoad({ url, connections, duration: DURATION, warmup: WARMUP, headers });
    if (result.failures > 0) notes.push(`row ${row.n} at ${connections} connections: ${result.failures} failed requests`);
    row.byConnections.set(connections, result);
  }
}

const serversScript = buildServers();
const passwordHash = await hashPassword(PASSWORD);
const redisServer = await startRedis();
const redis = new Redis(redisServer.url);
const profileDir = args.profile ? mkdtempSync(join(tmpdir(), 'otpgate-bench-prof-')) : null;
const gatewayNodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const upstream = await startNodeServer('upstream', {});
const upstreamPort = Number(upstream.info.port);
let commandsPerRequest: { publicPath: number; otpPath: number } | null = null;
let sessionMemory: { sessionKey: number; indexPerSession: number } | null = null;
let logins: { perSecond: number; p50: number; rssMb?: number } | null = null;

console.log(`otpgate bench: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
console.log(`${DURATION} s per measurement after a ${WARMUP} s warm-up; connections ${CONNECTIONS.join(', ')}\n`);

try {
  if (want(1)) {
    const row: Row = { n: 1, name: 'upstream direct', byConnections: new Map(), rssMb: null };
    await measure(row, `${upstream.url}/`);
    rows.push(row);
  }
  if (want(2)) {
    const server = await startNodeServer('http-proxy', { upstream: upstream.url });
    const row: Row = { n: 2, name: 'bare http-proxy (keep-alive)', byConnections: new Map(), rssMb: null };
    await measure(row, `${server.url}/`);
    row.rssMb = await server.rss();
    await server.stop();
    rows.push(row);
  }
  if (want(3) || want(4)) {
    const gw = await startNodeServer('gateway', { upstream: upstream.url, redis: redisServer.url, keyPrefix: KEY_PREFIX, passwordHash }, gatewayNodeArgs);
    const cookie = gw.info.cookie as string;
    const check = await fetch(`${gw.url}/admin/`, { headers: { cookie } });
    if (check.status !== 200 || !(await check.text()).includes('"app":"bench"')) throw new Error(`the verified session does not reach the upstream (${check.status})`);
    const perRequest = { publicPath: Number.NaN, otpPath: Number.NaN };
    for (const [n, name, path, headers, key] of [
      [3, 'otpgate, public path', '/', {}, 'publicPath'],
      [4, 'otpgate, otp path, verified, Redis', '/admin/', { cookie }, 'otpPath'],
    ] as const) {
      if (!want(n)) continue;
      const row: Row = { n, name, byConnections: new Map(), rssMb: null };
      for (const connections of CONNECTIONS) {
        const before = await commandCalls(redis);
        const result = await runLoad({ url: `${gw.url}${path}`, connections, duration: DURATION, warmup: WARMUP, headers: { ...headers } });
        // Every command during the load run (warm-up included) per request answered in it.
        const commands = (await commandCalls(redis)) - before;
        if (connections === CONNECTIONS[0]) perRequest[key] = commands / (result.requests + result.warmupRequests);
        if (result.failures > 0) notes.push(`row ${n} at ${connections} connections: ${result.failures} failed requests`);
        row.byConnections.set(connections, result);
      }
      rows.push(row);
    }
    commandsPerRequest = perRequest;
    // Peak RSS under proxy load, before the logins (whose argon2 hashes take 32 MiB each).
    const rss = await gw.rss();
    for (const row of rows) if (row.n === 3 || row.n === 4) row.rssMb = rss;
    const sessionKeyBytes = Number(await redis.call('MEMORY', 'USAGE', gw.info.sessionKey as string));
    logins = await measureLogins(gw.url, 4, 5);
    const members = await redis.scard(gw.info.indexKey as string);
    const indexBytes = Number(await redis.call('MEMORY', 'USAGE', gw.info.indexKey as string));
    sessionMemory = { sessionKey: sessionKeyBytes, indexPerSession: members > 0 ? indexBytes / members : Number.NaN };
    if (logins) logins.rssMb = (await gw.rss()) ?? Number.NaN;
    await gw.stop();
  }
  if (want(5)) {
    const gw = await startNodeServer('gateway', { upstream: upstream.url, redis: null, keyPrefix: '', passwordHash }, gatewayNodeArgs);
    const row: Row = { n: 5, name: 'otpgate, otp path, verified, memory', byConnections: new Map(), rssMb: null };
    await measure(row, `${gw.url}/admin/`, { cookie: gw.info.cookie as string });
    row.rssMb = await gw.rss();
    await gw.stop();
    rows.push(row);
  }
  if (want(6)) {
    const server = await startNodeServer('undici', { upstream: upstream.url });
    const row: Row = { n: 6, name: 'bare undici Pool', byConnections: new Map(), rssMb: null };
    await measure(row, `${server.url}/`);
    row.rssMb = await server.rss();
    await server.stop();
    rows.push(row);
  }
  if (want(7)) {
    const nginx = await startNginx(upstreamPort);
    if (typeof nginx === 'string') {
      notes.push(nginx);
      console.log(nginx);
    } else {
      const row: Row = { n: 7, name: 'nginx (1 worker, keep-alive)', byConnections: new Map(), rssMb: null };
      await measure(row, `${nginx.url}/`);
      await nginx.stop();
      rows.push(row);
    }
  }
} finally {
  await upstream.stop();
  redis.disconnect();
  await redisServer.stop();
}

// ---------------------------------------------------------------- report

const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const ref = (n: number) => rows.find((r) => r.n === n);
const lines: string[] = [];
lines.push('| # | server | conns | req/s | p50 ms | p99 ms | x row 2 | +p99 vs 2 (ms) | x row 7 | +p99 vs 7 (ms) | peak RSS MB |');
lines.push('|---|--------|------:|------:|-------:|-------:|--------:|---------------:|--------:|---------------:|------------:|');
for (const row of rows) {
  for (const [connections, r] of row.byConnections) {
    const r2 = ref(2)?.byConnections.get(connections);
    const r7 = ref(7)?.byConnections.get(connections);
    lines.push(
      `| ${row.n} | ${row.name} | ${connections} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ` +
        `${r2 ? fmt(r.rps / r2.rps) : 'n/a'} | ${r2 ? fmt(r.p99 - r2.p99) : 'n/a'} | ` +
        `${r7 ? fmt(r.rps / r7.rps) : 'n/a'} | ${r7 ? fmt(r.p99 - r7.p99) : 'n/a'} | ${row.rssMb === null ? '' : fmt(row.rssMb, 0)} |`,
    );
  }
}
console.log(lines.join('\n'));
console.log('');
if (commandsPerRequest) {
  console.log(`Redis commands per request (INFO commandstats, ${CONNECTIONS[0]} connections): public path ${fmt(commandsPerRequest.publicPath, 3)}, otp path ${fmt(commandsPerRequest.otpPath, 3)}`);
}
if (sessionMemory) {
  console.log(`Redis memory per session (MEMORY USAGE): session key ${sessionMemory.sessionKey} B, plus ${fmt(sessionMemory.indexPerSession, 0)} B in the user's session index`);
}
if (logins) {
  console.log(
    `Logins (GET form + POST, 4 clients, argon2id m=32 MiB t=2 p=1): ${fmt(logins.perSecond, 1)}/s, p50 ${fmt(logins.p50, 0)} ms; ` +
      `gateway peak RSS after them ${fmt(logins.rssMb ?? Number.NaN, 0)} MB`,
  );
}
for (const note of notes) console.log(`note: ${note}`);
if (profileDir) {
  for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
    console.log(`\nprofile ${join(profileDir, file)}: top frames by self time`);
    console.log(topFrames(join(profileDir, file), 25));
  }
}
