// A whole gateway for integration tests: a real upstream HTTP server, a real
// Redis (REDIS_URL, a random key prefix per gateway) or the in-memory store,
// a users file on disk, and a clock the test moves instead of waiting for
// TOTP steps. `Client` is a small cookie-keeping HTTP client that posts forms
// the way a browser does (hidden fields included).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfigFile } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { createGateway, type Gateway } from '../../src/gateway/gateway.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { generateTotpCode } from '../../src/otp/totp.ts';
import { startUpstream, type Upstream } from './upstream.ts';

export interface TestUser {
  password: string;
  email?: string;
  groups?: string[];
  disabled?: boolean;
}

export interface TestGatewayOptions {
  store?: 'redis' | 'memory';
  users?: Record<string, TestUser>;
  /** Merged over the base config (YAML shape, snake_case). */
  config?: Record<string, unknown>;
}

export const DEFAULT_USERS: Record<string, TestUser> = {
  alice: { password: 'correct horse battery staple', email: 'alice@example.com', groups: ['staff'] },
  bob: { password: 'hunter2hunter2', email: 'bob@example.com' },
};

const hashes = new Map<string, Promise<string>>();
function hashed(password: string): Promise<string> {
  let h = hashes.get(password);
  if (!h) {
    h = hashPassword(password);
    hashes.set(password, h);
  }
  return h;
}

export class TestClock {
  #t = Date.UTC(2026, 11, 3, 12, 0, 0);
  now = (): number => this.#t;
  /** Moves to the start of the next TOTP step, so a fresh code exists. */
  nextStep(period = 30): void {
    this.#t = (Math.floor(this.#t / 1000 / period) + 1) * period * 1000;
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}

export interface TestGateway {
  url: string;
  base: string;
  gateway: Gateway;
  upstream: Upstream;
  config: Config;
  clock: TestClock;
  /** A separate Redis connection for looking at what landed (null on the memory store). */
  redis: Redis | null;
  keyPrefix: string;
  usersFile: string;
  configFile: string;
  client(): Client;
  totp(secret: string): string;
  close(): Promise<void>;
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const av = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && av && typeof av === 'object' && !Array.isArray(av)
        ? merge(av as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-test-'));
  const users = opts.users ?? DEFAULT_USERS;
  const lines = ['users:'];
  for (const [name, u] of Object.entries(users)) {
    lines.push(`  ${name}:`, `    password: "${await hashed(u.password)}"`);
    if (u.email) lines.push(`    email: ${u.email}`);
    if (u.groups) lines.push(`    groups: [${u.groups.join(', ')}]`);
    if (u.disabled) lines.push('    disabled: true');
  }
  const usersFile = join(dir, 'users.yaml');
  writeFileSync(usersFile, `${lines.join('\n')}\n`);

  const keyPrefix = `otpgate-test:${randomBytes(6).toString('hex')}:`;
  const useRedis = (opts.store ?? 'redis') === 'redis';
  const redisUrl = process.env.REDIS_URL;
  if (useRedis && !redisUrl) throw new Error('REDIS_URL is not set: run the tests through `npm test` (scripts/run-tests.mjs)');

  const base: Record<string, unknown> = {
    server: { listen: '127.0.0.1:0' },
    upstream: { url: upstream.url.href, timeout: '5s', login_paths: ['/admin/login/'] },
    gateway: { title: 'Test Corp' },
    secrets: { session: randomBytes(32).toString('base64url'), encryption_key: randomBytes(32).toString('base64') },
    users: { file: './users.yaml' },
    protect: [
      { prefix: '/admin/', require: 'otp' },
      { prefix: '/admindocs/', require: 'otp' },
      { prefix: '/staff/', require: 'login', groups: ['staff'] },
      { prefix: '/members/', require: 'login' },
      { prefix: '/maybe/', require: 'otp_if_configured' },
      { prefix: '/blocked/', require: 'deny' },
    ],
    default: 'public',
    ...(useRedis ? { store: { redis: { url: redisUrl, key_prefix: keyPrefix } } } : {}),
  };
  // Written to disk (JSON is YAML) so CLI commands can be run against the same config.
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, JSON.stringify(merge(base, opts.config ?? {}), null, 2));
  const config = loadConfigFile(configFile, {});
  const clock = new TestClock();
  const gateway = await createGateway(config, { log: false, now: clock.now });
  const address = await gateway.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${address.port}`;
  const redis = useRedis ? new Redis(redisUrl as string) : null;

  return {
    url,
    base: config.gateway.path,
    gateway,
    upstream,
    config,
    clock,
    redis,
    keyPrefix,
    usersFile,
    configFile,
    client: () => new Client(url, config.gateway.path),
    totp: (secret) => generateTotpCode(secret, config.twoFactor.totp, clock.now()),
    async close() {
      await gateway.close();
      await upstream.close();
      if (redis) {
        const keys = await redis.keys(`${keyPrefix}*`);
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
  json<T = unknown>(): T;
}

/** A cookie-keeping HTTP client that does not follow redirects by itself. */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly url: string,
    readonly base: string,
  ) {}

  #cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.#cookieHeader();
    if (cookie && !('cookie' in headers)) headers.cookie = cookie;
    const res = await fetch(this.url + path, { method, headers, body: init.body, redirect: 'manual' });
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq).trim();
      const value = (pair ?? '').slice(eq + 1).trim();
      if (/max-age=0/i.test(sc) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location'), json: () => JSON.parse(text) };
  }

  /** A browser navigation (accepts HTML). */
  get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.request('GET', path, { headers: { accept: 'text/html,application/xhtml+xml', ...headers } });
  }

  /** Posts a form with every hidden field of `page` plus `fields`, from our own origin. */
  post(path: string, fields: Record<string, string>, page?: string, headers: Record<string, string> = {}): Promise<Reply> {
    const form = new URLSearchParams({ ...(page ? hiddenFields(page) : {}), ...fields });
    return this.request('POST', path, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.url, accept: 'text/html', ...headers },
      body: form.toString(),
    });
  }

  /** GET a gateway page and post its form back with `fields`. */
  async submit(pagePath: string, fields: Record<string, string>, action?: string): Promise<Reply> {
    const page = await this.get(this.base + pagePath);
    const target = action ?? this.base + pagePath.split('?')[0];
    return this.post(target, fields, page.text);
  }

  async login(username: string, password: string, next = '/'): Promise<Reply> {
    return this.submit(`/login?next=${encodeURIComponent(next)}`, { username, password });
  }

  /** Signs in and enrols TOTP; returns the secret and the backup codes shown once. */
  async enrol(gw: TestGateway, username: string, password: string): Promise<{ secret: string; backupCodes: string[] }> {
    await this.login(username, password, '/admin/');
    const page = await this.get(`${this.base}/setup?next=%2Fadmin%2F`);
    const secret = secretFrom(page.text);
    gw.clock.nextStep();
    const done = await this.post(`${this.base}/setup`, { code: gw.totp(secret) }, page.text);
    if (done.status !== 200) throw new Error(`enrolment failed: ${done.status} ${done.text.slice(0, 200)}`);
    return { secret, backupCodes: backupCodesFrom(done.text) };
  }
}

export function hiddenFields(page: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
    if (name) out[name] = decodeEntities(value);
  }
  return out;
}

function decodeEntities(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#96;/g, '`').replace(/&amp;/g, '&');
}

/** The base32 secret from the setup page's otpauth:// link. */
export function secretFrom(page: string): string {
  const m = /otpauth:\/\/totp\/[^"]*?[?&](?:amp;)?secret=([A-Z2-7]+)/.exec(page);
  if (!m?.[1]) throw new Error('no otpauth:// URI with a secret on the page');
  return m[1];
}

export function backupCodesFrom(page: string): string[] {
  return [...page.matchAll(/<code[^>]*>([a-z0-9-]{8,})<\/code>/g)].map((m) => m[1] as string);
}

/** The identity headers (and cookie) of the last request the upstream received. */
export function upstreamSaw(gw: TestGateway): Record<string, unknown> {
  const r = gw.upstream.requests.at(-1);
  if (!r) throw new Error('the upstream received nothing');
  return {
    url: r.url,
    verified: r.headers['x-user-verified'],
    user: r.headers['x-forwarded-user'],
    email: r.headers['x-forwarded-email'],
    groups: r.headers['x-forwarded-groups'],
    device: r.headers['x-user-device'],
    cookie: r.headers.cookie,
  };
}

/** A navigation that must reach the upstream (200, exactly one request); returns what the upstream saw. */
export async function reaches(c: Client, gw: TestGateway, path: string): Promise<Record<string, unknown>> {
  const before = gw.upstream.requests.length;
  const r = await c.get(path);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.location ?? ''}`);
  if (gw.upstream.requests.length !== before + 1) throw new Error(`${path}: the upstream saw ${gw.upstream.requests.length - before} requests`);
  return upstreamSaw(gw);
}
