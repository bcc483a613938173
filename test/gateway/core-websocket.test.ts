// WebSocket upgrades go through the same rules as plain requests: refused on
// a protected path before any byte reaches the upstream, forwarded (frames
// both ways) on a public one, and forwarded with identity headers for a
// verified user.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startTestGateway, DEFAULT_USERS, type TestGateway } from '../helpers/gateway.ts';
import { wsHandshake, encodeClientFrame, readServerFrame, type WsHandshakeResult } from '../helpers/upstream.ts';
import { forwardedSince, portOf, cookieLine } from './fixtures/raw-http.ts';

/** The body of a refused handshake, read until the gateway closes the connection. */
function bodyOf(hs: WsHandshakeResult): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [hs.rest];
    const socket: net.Socket = hs.socket;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    if (socket.destroyed) resolve(Buffer.concat(chunks).toString('utf8'));
  });
}

function closeSocket(socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

describe('gateway core: WebSocket upgrades', { timeout: 30_000 }, () => {
  let gw: TestGateway;
  let port: number;
  before(async () => {
    gw = await startTestGateway();
    port = portOf(gw.url);
  });
  after(() => gw.close());

  it('refuses an anonymous upgrade on a protected path with 401 before anything reaches the upstream', async () => {
    const before = gw.upstream.requests.length;
    for (const path of ['/admin/', '/admin/socket', '/ADMIN/ws', '/%61dmin/ws', '/x/../admin/ws', '/admin;x/ws', '/admindocs/']) {
      const hs = await wsHandshake(port, path, ['Accept: text/html', 'X-User-Verified: true', 'X-Forwarded-User: alice']);
      assert.equal(hs.status, 401, path);
      const body = await bodyOf(hs);
      assert.equal(JSON.parse(body).error, 'login_required', path);
      await closeSocket(hs.socket);
    }
    const denied = await wsHandshake(port, '/blocked/ws');
    assert.equal(denied.status, 403);
    await closeSocket(denied.socket);
    const bad = await wsHandshake(port, '/admin%2fws');
    assert.equal(bad.status, 400);
    await closeSocket(bad.socket);
    const own = await wsHandshake(port, '/_otpgate/ws');
    assert.ok(own.status >= 400, `gateway prefix upgrade answered ${own.status}`);
    await closeSocket(own.socket);
    assert.deepEqual(await forwardedSince(gw, before), []);
    assert.equal(gw.upstream.requests.filter((r) => r.upgrade).length, 0);
  });

  it('forwards an upgrade on a public path as anonymous, and frames echo both ways', async () => {
    const before = gw.upstream.requests.length;
    const hs = await wsHandshake(port, '/x/../live//feed?room=1', ['X-User-Verified: true', 'X_Forwarded_User: admin', 'X-Original-URL: /admin/']);
    try {
      assert.equal(hs.status, 101);
      assert.ok(hs.acceptOk, 'Sec-WebSocket-Accept matches the key');
      hs.socket.write(encodeClientFrame('hello through the gateway'));
      assert.equal(await readServerFrame(hs.socket, hs.rest), 'hello through the gateway');
    } finally {
      await closeSocket(hs.socket);
    }
    const [rec, ...more] = gw.upstream.requests.slice(before);
    assert.equal(more.length, 0);
    assert.equal(rec!.upgrade, true);
    assert.equal(rec!.url, '/live/feed?room=1');
    assert.deepEqual(rec!.headers['x-user-verified'], ['false']);
    assert.equal(rec!.headers['x-forwarded-user'], undefined);
    assert.equal(rec!.headers.x_forwarded_user, undefined);
    assert.equal(rec!.headers['x-original-url'], undefined);
    assert.deepEqual(rec!.headers.upgrade, ['websocket']);
  });

  it("forwards a verified user's upgrade on /admin/ with identity headers and without the session cookie", async () => {
    const alice = gw.client();
    await alice.enrol(gw, 'alice', DEFAULT_USERS.alice!.password);
    const before = gw.upstream.requests.length;
    const hs = await wsHandshake(port, '/admin/socket', [cookieLine(alice.cookies, ['theme=dark']), 'X-Forwarded-User: mallory']);
    try {
      assert.equal(hs.status, 101);
      assert.ok(hs.acceptOk);
      hs.socket.write(encodeClientFrame('ping'));
      assert.equal(await readServerFrame(hs.socket, hs.rest), 'ping');
    } finally {
      await closeSocket(hs.socket);
    }
    const [rec, ...more] = gw.upstream.requests.slice(before);
    assert.equal(more.length, 0);
    assert.equal(rec!.upgrade, true);
    assert.equal(rec!.url, '/admin/socket');
    assert.deepEqual(rec!.headers['x-user-verified'], ['true']);
    assert.deepEqual(rec!.headers['x-forwarded-user'], ['alice']);
    assert.deepEqual(rec!.headers['x-forwarded-email'], ['alice@example.com']);
    assert.deepEqual(rec!.headers['x-forwarded-groups'], ['staff']);
    assert.deepEqual(rec!.headers['x-user-device'], ['totp']);
    assert.deepEqual(rec!.headers.cookie, ['theme=dark']);
  });

  it('refuses an upgrade from a logged-in but unverified user on /admin/ with 403', async () => {
    const alice = gw.client();
    const login = await alice.login('alice', DEFAULT_USERS.alice!.password, '/admin/');
    assert.equal(login.status, 303);
    const before = gw.upstream.requests.length;
    const hs = await wsHandshake(port, '/admin/socket', [cookieLine(alice.cookies)]);
    assert.equal(hs.status, 403);
    const body = JSON.parse(await bodyOf(hs)) as { error: string; login_url?: string };
    assert.equal(body.error, 'verification_required');
    assert.equal(body.login_url, '/_otpgate/verify?next=%2Fadmin%2Fsocket');
    await closeSocket(hs.socket);
    assert.deepEqual(await forwardedSince(gw, before), []);
  });
});
