// Two gateways on one Redis (same key prefix, secrets and users file), each
// with its in-process session cache. A session verified through A and cached
// on B must stop working on B at once when A (or the CLI) ends it: logout,
// "sign out everywhere", /disable, and `users reset-2fa`. The test waits for
// the invalidation to arrive on B (its cache reports it), never for a time.
// Also: B really serves a cached session without a Redis GET (seen on
// MONITOR), and reads Redis on every request while its subscriber is down.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { usersResetCommand } from '../../src/cli/users-reset.ts';
import type { CliIO } from '../../src/cli/io.ts';
import type { Config } from '../../src/config/types.ts';
import { createGateway, type Gateway } from '../../src/gateway/gateway.ts';
import type { SessionCache, SessionCacheEvent } from '../../src/auth/session-cache.ts';
import { Client, DEFAULT_USERS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const ALICE = (DEFAULT_USERS.alice as { password: string }).password;

/** A TCP relay to Redis that can hold new connections back (so a dropped link stays down until released). */
async function startRelay(target: URL) {
  const sockets = new Set<Socket>();
  const outgoingPorts = new Set<number>();
  let holding = false;
  let held: Socket[] = [];
  const pipe = (client: Socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on('connect', () => outgoingPorts.add(upstream.localPort as number));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    if (holding) held.push(client);
    else pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    outgoingPorts,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      const waiting = held;
      held = [];
      for (const c of waiting) if (!c.destroyed) pipe(c);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Resolves with the first cache event that `match` accepts (register before the action). */
function nextEvent(cache: SessionCache, match: (e: SessionCacheEvent) => boolean): Promise<SessionCacheEvent> {
  return new Promise((resolve) => {
    const stop = cache.watch((e) => {
      if (match(e)) {
        stop();
        resolve(e);
      }
    });
  });
}

async function untilActive(cache: SessionCache): Promise<void> {
  if (!cache.active) await nextEvent(cache, (e) => e.kind === 'resume');
}

function sessionId(c: Client): string {
  const v = c.cookies.get('otpgate_session');
  assert.ok(v, 'no session cookie');
  return decodeURIComponent(v).split('.')[0] as string;
}

/** A client on `url` holding the same cookies as `c` (the same browser, through the other gateway). */
function sameBrowser(c: Client, url: string): Client {
  const other = new Client(url, c.base);
  for (const [k, v] of c.cookies) other.cookies.set(k, v);
  return other;
}

function cliIO(): CliIO {
  return { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
}

describe('session cache across two gateways on one Redis', () => {
  let gw: TestGateway; // gateway A, with the upstream, the users file and the config file
  let b: Gateway;
  let bUrl: string;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let monitorBase: Redis;
  let monitor: Redis;
  let raw: Redis;
  let secret: string;
  const seen: string[][] = [];
  let markers = 0;

  before(async () => {
    gw = await startTestGateway();
    relay = await startRelay(new URL(process.env.REDIS_URL as string));
    const redis = gw.config.store.redis;
    assert.ok(redis);
    const configB: Config = { ...gw.config, store: { redis: { ...redis, url: relay.url } } };
    b = await createGateway(configB, { log: false, now: gw.clock.now });
    const address = await b.listen({ host: '127.0.0.1', port: 0 });
    bUrl = `http://127.0.0.1:${address.port}`;
    assert.ok(b.sessionCache);
    await untilActive(b.sessionCache);
    raw = new Redis(process.env.REDIS_URL as string);
    monitorBase = new Redis(process.env.REDIS_URL as string);
    monitor = await monitorBase.monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (typeof args[1] === 'string' && args[1].startsWith(gw.keyPrefix)) seen.push(args);
    });
    ({ secret } = await gw.client().enrol(gw, 'alice', ALICE));
  });

  after(async () => {
    monitor.disconnect();
    monitorBase.disconnect();
    raw.disconnect();
    await b.close();
    await relay.close();
    await gw.close();
  });

  /** Redis GETs of this session's key seen while running `body` (MONITOR is read up to a marker after it). */
  async function sessionGets(id: string, body: () => Promise<void>): Promise<number> {
    const from = seen.length;
    await body();
    const marker = `${gw.keyPrefix}marker:${++markers}`;
    await raw.get(marker);
    while (!seen.some((a) => a[1] === marker)) await new Promise((r) => monitor.once('monitor', r));
    return seen.slice(from).filter((a) => a[0]?.toLowerCase() === 'get' && a[1] === `${gw.keyPrefix}session:${id}`).length;
  }

  /** Alice signed in and verified through gateway A; `viaB` is the same browser through B. */
  async function verifiedAlice(): Promise<{ a: Client; viaB: () => Client; id: string }> {
    const a = gw.client();
    await a.login('alice', ALICE, '/admin/');
    const page = await a.get(`${gw.base}/verify?next=%2Fadmin%2F`);
    gw.clock.nextStep();
    const r = await a.post(`${gw.base}/verify`, { code: gw.totp(secret) }, page.text);
    assert.equal(r.status, 303);
    return { a, viaB: () => sameBrowser(a, bUrl), id: sessionId(a) };
  }

  async function adminStatus(c: Client): Promise<number> {
    return (await c.request('GET', '/admin/', { headers: { accept: 'application/json' } })).status;
  }

  test('B serves a verified session from its cache: the second request issues no Redis GET', async () => {
    const { viaB, id } = await verifiedAlice();
    const c = viaB();
    assert.equal(await sessionGets(id, async () => assert.equal(await adminStatus(c), 200)), 1);
    assert.equal(await sessionGets(id, async () => assert.equal(await adminStatus(c), 200)), 0);
    const last = gw.upstream.requests.at(-1);
    assert.deepEqual(last?.headers['x-user-verified'], ['true']);
    assert.deepEqual(last?.headers['x-forwarded-user'], ['alice']);
  });

  test('logout through A: the very next request through B is refused', async () => {
    const { a, viaB, id } = await verifiedAlice();
    const c = viaB();
    assert.equal(await adminStatus(c), 200);
    assert.ok(b.sessionCache?.get(id), 'cached on B');
    const arrived = nextEvent(b.sessionCache!, (e) => e.kind === 'invalidate' && e.id === id);
    const account = await a.get(`${gw.base}/account`);
    assert.equal((await a.post(`${gw.base}/logout`, {}, account.text)).status, 303);
    await arrived;
    const before = gw.upstream.requests.length;
    assert.equal(await adminStatus(c), 401);
    assert.equal(gw.upstream.requests.length, before, 'nothing reached the upstream');
  });

  test('"sign out everywhere" through A ends every session of the user on B', async () => {
    const one = await verifiedAlice();
    const two = await verifiedAlice();
    const c1 = one.viaB();
    const c2 = two.viaB();
    assert.equal(await adminStatus(c1), 200);
    assert.equal(await adminStatus(c2), 200);
    const arrived = nextEvent(b.sessionCache!, (e) => e.kind === 'invalidate-user' && e.username === 'alice');
    const account = await one.a.get(`${gw.base}/account`);
    assert.equal((await one.a.post(`${gw.base}/logout-everywhere`, {}, account.text)).status, 303);
    await arrived;
    assert.equal(await adminStatus(c1), 401);
    assert.equal(await adminStatus(c2), 401);
  });

  test('`users reset-2fa` ends the sessions cached on B at once', async () => {
    const { viaB } = await verifiedAlice();
    const c = viaB();
    assert.equal(await adminStatus(c), 200);
    const arrived = nextEvent(b.sessionCache!, (e) => e.kind === 'invalidate-user' && e.username === 'alice');
    assert.equal(await usersResetCommand(['alice', '--config', gw.configFile], cliIO()), 0);
    await arrived;
    assert.equal(await adminStatus(c), 401);
    // Enrol again for the tests that follow.
    ({ secret } = await gw.client().enrol(gw, 'alice', ALICE));
  });

  test('/disable through A ends the old session cached on B', async () => {
    const { a, viaB } = await verifiedAlice();
    const c = viaB(); // the cookie from before /disable
    assert.equal(await adminStatus(c), 200);
    const arrived = nextEvent(b.sessionCache!, (e) => e.kind === 'invalidate-user' && e.username === 'alice');
    const account = await a.get(`${gw.base}/account`);
    gw.clock.nextStep();
    assert.equal((await a.post(`${gw.base}/disable`, { code: gw.totp(secret) }, account.text)).status, 303);
    await arrived;
    assert.equal(await adminStatus(c), 401);
    ({ secret } = await gw.client().enrol(gw, 'alice', ALICE));
  });

  test('while B\'s subscriber is down, B reads Redis on every request; once it is back, it caches again', async () => {
    const { viaB, id } = await verifiedAlice();
    const c = viaB();
    const cache = b.sessionCache!;
    assert.equal(await adminStatus(c), 200);
    assert.ok(cache.get(id));

    // Drop B's subscriber connection and keep it from reconnecting.
    relay.hold();
    const list = String(await raw.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const line = list.split('\n').find((l) => {
      const port = /\baddr=[^ ]+:(\d+) /.exec(l)?.[1];
      return l.includes(` name=otpgate-sub:${gw.keyPrefix} `) && relay.outgoingPorts.has(Number(port));
    });
    assert.ok(line, list);
    const lost = nextEvent(cache, (e) => e.kind === 'clear' && !cache.active);
    await raw.call('CLIENT', 'KILL', 'ID', /(?:^|\s)id=(\d+)/.exec(line)?.[1] as string);
    await lost;
    assert.equal(cache.get(id), undefined);
    assert.equal(b.store.reachable, true, 'the main connection is unaffected');

    assert.equal(await sessionGets(id, async () => {
      assert.equal(await adminStatus(c), 200);
      assert.equal(await adminStatus(c), 200);
    }), 2);
    assert.equal(cache.active, false);

    const back = nextEvent(cache, (e) => e.kind === 'resume');
    relay.release();
    await back;
    assert.equal(await sessionGets(id, async () => {
      assert.equal(await adminStatus(c), 200);
      assert.equal(await adminStatus(c), 200);
    }), 1);
  });
});
