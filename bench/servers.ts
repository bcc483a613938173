// One server under test, alone in its own process, so the load generator and
// the upstream do not share its event loop:
//
//   node <compiled>/bench/servers.js <kind> '<json options>'   (bench/run.ts compiles it)
//
// kinds: upstream | http-proxy | undici | gateway
// Prints one line `{"bench":"ready", ...}` on stdout once listening (plus, for
// the gateway, a signed cookie of a verified session). On a line `rss` on
// stdin it prints `{"bench":"rss","maxRssKb":n}` (peak resident set so far).
// Exits when stdin ends. Everything else on stdout (the gateway's log) is
// ignored by bench/run.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import httpProxy from 'http-proxy';
import { Pool } from 'undici';
import fastifyCookie from '@fastify/cookie';

export interface GatewayOptions {
  upstream: string;
  /** Redis URL, or null for the in-memory store. */
  redis: string | null;
  keyPrefix: string;
  /** argon2id hash of the users' password, made by bench/run.ts (a hash here would inflate this process's peak RSS). */
  passwordHash: string;
}

const BODY = Buffer.from('{"ok":true,"app":"bench"}');

function say(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'ready', ...obj })}\n`);
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** The application: a small fixed body, keep-alive. */
async function upstream(): Promise<() => Promise<void>> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
      res.end(BODY);
    });
  });
  server.keepAliveTimeout = 60_000;
  say({ port: await listen(server) });
  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
}

/** Row 2: http-proxy with a keep-alive agent and nothing else. */
async function bareHttpProxy(target: URL): Promise<() => Promise<void>> {
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256 });
  const proxy = httpProxy.createProxyServer({ target: target.href, agent });
  proxy.on('error', (_err, _req, res) => {
    if ('writeHead' in res && !res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  const server = http.createServer((req, res) => proxy.web(req, res));
  say({ port: await listen(server) });
  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    agent.destroy();
  };
}

/** Row 6: an undici Pool with keep-alive, request and response bodies streamed. */
async function bareUndici(target: URL): Promise<() => Promise<void>> {
  const pool = new Pool(target.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
  const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
  const server = http.createServer((req, res) => {
    const raw = req.rawHeaders;
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      if (!hopByHop.has((raw[i] as string).toLowerCase())) headers.push(raw[i] as string, raw[i + 1] as string);
    }
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool
      .stream({ path: req.url ?? '/', method: req.method as 'GET', headers, body: hasBody ? req : null, opaque: res }, ({ statusCode, headers: h, opaque }) => {
        const out = opaque as http.ServerResponse;
        const responseHeaders: Record<string, string | string[]> = {};
        for (const name in h) {
          const value = h[name];
          if (value !== undefined && !hopByHop.has(name)) responseHeaders[name] = value;
        }
        out.writeHead(statusCode, responseHeaders);
        return out;
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
  });
  say({ port: await listen(server) });
  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await pool.close();
  };
}

/** Rows 3-5: the whole gateway from a resolved config, with one verified session made on its own store. */
async function gateway(opts: GatewayOptions): Promise<() => Promise<void>> {
  const { resolveConfig } = await import('../src/config/load.ts');
  const { createGateway } = await import('../src/gateway/gateway.ts');
  const { Sessions } = await import('../src/auth/sessions.ts');

  const dir = mkdtempSync(join(tmpdir(), 'otpgate-bench-'));
  // alice holds the verified session; login0..login7 are for the logins measurement (attempts
  // for one user are checked one at a time, so concurrent logins need different users).
  const hash = opts.passwordHash;
  const names = ['alice', ...Array.from({ length: 8 }, (_, i) => `login${i}`)];
  writeFileSync(
    join(dir, 'users.yaml'),
    `users:\n${names.map((name) => `  ${name}:\n    password: "${hash}"\n    email: ${name}@example.com\n    groups: [staff]\n`).join('')}`,
  );
  const secret = randomBytes(32).toString('base64url');
  const config = resolveConfig(
    {
      server: { listen: '127.0.0.1:0' },
      upstream: { url: opts.upstream, timeout: '30s' },
      gateway: { title: 'Bench' },
      secrets: { session: secret, encryption_key: randomBytes(32).toString('base64') },
      users: { file: './users.yaml' },
      protect: [
        { prefix: '/admin/', require: 'otp' },
        { prefix: '/admindocs/', require: 'otp' },
        { prefix: '/api/', require: 'login', methods: ['POST', 'PUT', 'PATCH', 'DELETE'], groups: ['staff'] },
      ],
      default: 'public',
      ...(opts.redis ? { store: { redis: { url: opts.redis, key_prefix: opts.keyPrefix } } } : {}),
    },
    { baseDir: dir, env: {} },
  );
  // The production default: info-level log (no per-request lines), webhook worker running.
  const gw = await createGateway(config, { log: { level: 'info' } });
  const address = await gw.listen({ host: '127.0.0.1', port: 0 });

  // A verified session, exactly as /verify leaves one, on the gateway's own store.
  const sessions = new Sessions(gw.store, config.session);
  const session = await sessions.create({ username: 'alice', hasDevice: true, verified: true, device: 'totp', ip: '127.0.0.1', userAgent: 'autocannon' });
  const signed = fastifyCookie.signerFactory(secret).sign(session.id);
  say({
    port: address.port,
    cookie: `${config.session.cookie}=${encodeURIComponent(signed)}`,
    sessionKey: `${opts.keyPrefix}session:${session.id}`,
    indexKey: `${opts.keyPrefix}user:login0:sessions`,
  });
  return async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  };
}

const [kind, rawOptions] = process.argv.slice(2);
const options = JSON.parse(rawOptions ?? '{}') as Partial<GatewayOptions>;
let stop: () => Promise<void>;
switch (kind) {
  case 'upstream':
    stop = await upstream();
    break;
  case 'http-proxy':
    stop = await bareHttpProxy(new URL(options.upstream as string));
    break;
  case 'undici':
    stop = await bareUndici(new URL(options.upstream as string));
    break;
  case 'gateway':
    stop = await gateway(options as GatewayOptions);
    break;
  default:
    throw new Error(`unknown server kind ${String(kind)}`);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'rss') process.stdout.write(`${JSON.stringify({ bench: 'rss', maxRssKb: process.resourceUsage().maxRSS })}\n`);
});
lines.on('close', () => {
  void stop().then(() => process.exit(0));
});
