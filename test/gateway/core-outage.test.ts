// When something behind the gateway fails: an upstream that is down (502 page)
// or silent (504 page), and a Redis that stops (protected paths fail closed
// with 503, public paths keep being proxied as anonymous, /readyz turns 503)
// and comes back (the gateway recovers by itself).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, freePort, type RunningRedis } from '../../scripts/redis-server.mjs';
import type { RedisStore } from '../../src/store/redis.ts';
import { startTestGateway, DEFAULT_USERS, type TestGateway } from '../helpers/gateway.ts';
import { wsHandshake } from '../helpers/upstream.ts';
import { rawRequest, echoOf, portOf, cookieLine } from './fixtures/raw-http.ts';

const HTML = 'Accept: text/html';
const USER_HEADERS = ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-user-device'];

describe('gateway core: upstream failures', { timeout: 30_000 }, () => {
  it('answers a 502 page when the upstream is down', async () => {
    const gw = await startTestGateway();
    try {
      const port = portOf(gw.url);
      // A first request opens a keep-alive connection the upstream then drops.
      assert.equal((await rawRequest(port, '/public')).status, 200);
      await gw.upstream.close();
      for (const [method, body] of [['GET', undefined], ['POST', 'a=1'], ['GET', undefined]] as const) {
        const res = await rawRequest(port, '/public/page', [HTML], { method, body });
        assert.equal(res.status, 502, method);
        assert.match(res.headers['content-type']?.[0] ?? '', /^text\/html/);
        assert.match(res.body, /502/);
      }
      // Refusals are still refusals, not 502s: the rule is applied before forwarding.
      assert.equal((await rawRequest(port, '/admin/', [HTML])).status, 303);
      const ws = await wsHandshake(port, '/public/ws');
      assert.equal(ws.status, 502);
      ws.socket.destroy();
    } finally {
      await gw.close();
    }
  });

  it('answers a 504 page when the upstream does not answer within upstream.timeout', async () => {
    const gw = await startTestGateway({ config: { upstream: { timeout: '1s' } } });
    try {
      const port = portOf(gw.url);
      gw.upstream.setMode('hang');
      const before = gw.upstream.requests.length;
      const res = await rawRequest(port, '/public/slow', [HTML]);
      assert.equal(res.status, 504);
      assert.match(res.headers['content-type']?.[0] ?? '', /^text\/html/);
      assert.match(res.body, /504/);
      const post = await rawRequest(port, '/public/slow', [], { method: 'POST', body: 'x'.repeat(1000) });
      assert.equal(post.status, 504);
      // The upstream did get them (and hung): the timeout is the gateway's answer, not a refusal.
      assert.deepEqual(
        gw.upstream.requests.slice(before).map((r) => [r.method, r.url, r.bodyBytes]),
        [
          ['GET', '/public/slow', 0],
          ['POST', '/public/slow', 1000],
        ],
      );
      const ws = await wsHandshake(port, '/public/ws');
      assert.equal(ws.status, 504);
      ws.socket.destroy();

      gw.upstream.setMode('echo');
      const ok = await rawRequest(port, '/public/fast');
      assert.equal(ok.status, 200);
      assert.equal(echoOf(ok).url, '/public/fast');
    } finally {
      await gw.close();
    }
  });
});

describe('gateway core: store outage', { timeout: 30_000 }, () => {
  let redis: RunningRedis | null = null;
  let gw: TestGateway | null = null;
  after(async () => {
    await gw?.close();
    await redis?.stop();
  });

  it('fails closed on protected paths while Redis is down, keeps public paths anonymous, and recovers', async () => {
    redis = await startRedis({ port: await freePort() });
    gw = await startTestGateway({ config: { store: { redis: { url: redis.url } } } });
    const port = portOf(gw.url);
    const store = gw.gateway.store as RedisStore;

    const alice = gw.client();
    const login = await alice.login('alice', DEFAULT_USERS.alice!.password, '/members/');
    assert.equal(login.status, 303);
    assert.equal(login.location, '/members/');
    const cookie = cookieLine(alice.cookies);
    const members = await rawRequest(port, '/members/', [HTML, cookie]);
    assert.equal(members.status, 200);
    assert.deepEqual(echoOf(members).headers['x-forwarded-user'], ['alice']);
    assert.equal((await rawRequest(port, '/_otpgate/readyz')).status, 200);

    const redisPort = redis.port;
    await redis.stop();
    redis = null;

    const before = gw.upstream.requests.length;
    const page = await rawRequest(port, '/members/', [HTML, cookie]);
    assert.equal(page.status, 503);
    assert.match(page.headers['content-type']?.[0] ?? '', /^text\/html/);
    assert.match(page.body, /<html/i);
    const api = await rawRequest(port, '/members/x', ['Accept: application/json', cookie], { method: 'POST', body: '{}' });
    assert.equal(api.status, 503);
    assert.deepEqual(JSON.parse(api.body), { error: 'store_unavailable' });
    const admin = await rawRequest(port, '/admin/', [HTML, cookie]);
    assert.equal(admin.status, 503);
    // Without a session too: no login page that could not work anyway.
    const anonymous = await rawRequest(port, '/admin/', [HTML]);
    assert.equal(anonymous.status, 503);
    assert.equal(gw.upstream.requests.length, before, 'the upstream saw none of the protected requests');

    // Public paths are still proxied, as anonymous, whatever cookie is sent.
    const pub = await rawRequest(port, '/public', [HTML, cookie, 'X-User-Verified: true', 'X-Forwarded-User: alice']);
    assert.equal(pub.status, 200);
    const seen = echoOf(pub).headers;
    assert.deepEqual(seen['x-user-verified'], ['false']);
    for (const name of USER_HEADERS) assert.equal(seen[name], undefined, name);
    assert.equal(gw.upstream.requests.length, before + 1);

    const ready = await rawRequest(port, '/_otpgate/readyz');
    assert.equal(ready.status, 503);
    const health = await rawRequest(port, '/_otpgate/healthz');
    assert.equal(health.status, 200);

    // Redis comes back on the same port (empty: it keeps nothing on disk).
    redis = await startRedis({ port: redisPort });
    await store.whenReady();
    assert.equal((await rawRequest(port, '/_otpgate/readyz')).status, 200);
    // The session died with the old Redis: a login redirect now, not a 503.
    const after = await rawRequest(port, '/members/', [HTML, cookie]);
    assert.equal(after.status, 303);
    assert.equal(after.headers.location?.[0], '/_otpgate/login?next=%2Fmembers%2F');
    const again = gw.client();
    assert.equal((await again.login('alice', DEFAULT_USERS.alice!.password, '/members/')).status, 303);
    const back = await rawRequest(port, '/members/', [HTML, cookieLine(again.cookies)]);
    assert.equal(back.status, 200);
    assert.deepEqual(echoOf(back).headers['x-forwarded-user'], ['alice']);
  });
});
