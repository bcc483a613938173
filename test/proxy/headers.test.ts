// What the upstream actually receives: client-sent identity and routing
// headers gone, the gateway's own set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../helpers/upstream.ts';
import type { Upstream, RecordedRequest } from '../helpers/upstream.ts';
import { startGateway, rawRequest, get } from './harness.ts';
import type { TestGateway } from './harness.ts';

let upstream: Upstream;
let gateway: TestGateway;
let trustingGateway: TestGateway;

before(async () => {
  upstream = await startUpstream();
  gateway = await startGateway(upstream.url);
  trustingGateway = await startGateway(upstream.url, { trustedProxies: ['127.0.0.1/32'] });
});
after(async () => {
  await gateway.close();
  await trustingGateway.close();
  await upstream.close();
});

/** Every header name the upstream received, normalised the way a merging server would. */
function normalisedNames(r: RecordedRequest): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < r.rawHeaders.length; i += 2) {
    names.add((r.rawHeaders[i] as string).toLowerCase().replace(/[_.]/g, '-'));
  }
  return names;
}

async function send(gw: TestGateway, headerLines: string[], path = '/h'): Promise<RecordedRequest> {
  const response = await rawRequest(gw.port, [`GET ${path} HTTP/1.1`, 'Host: app.example.com', ...headerLines, '', ''].join('\r\n'));
  assert.equal(response.status, 200, response.raw);
  return upstream.nextRequest();
}

test('client-sent identity headers are removed in every casing, repeated copy and _/. alias', async () => {
  gateway.identity = null;
  const r = await send(gateway, [
    'X-User-Verified: true',
    'x-user-verified: true',
    'X-USER-VERIFIED: true',
    'X_User_Verified: true',
    'x.user.verified: true',
    'X-User_Verified: true',
    'X-Forwarded-User: admin',
    'X.Forwarded.User: admin',
    'x_forwarded_user: admin',
    'X-Forwarded-Email: admin@example.com',
    'X_FORWARDED_EMAIL: admin@example.com',
    'X-Forwarded-Groups: admins',
    'X_Forwarded.Groups: admins',
    'X-User-Device: totp',
    'X.User_Device: totp',
    'Connection: close',
  ]);
  assert.deepEqual(r.headers['x-user-verified'], ['false']);
  const names = normalisedNames(r);
  for (const name of ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-user-device']) {
    assert.equal(names.has(name), false, `${name} reached the upstream`);
  }
  // Exactly one verified header, and it is the gateway's.
  assert.equal(r.rawHeaders.filter((_, i) => i % 2 === 0 && /^x[-_.]user[-_.]verified$/i.test(_)).length, 1);
});

test('path-override, forwarding and hop-by-hop headers are removed; ordinary ones kept', async () => {
  const r = await send(gateway, [
    'X-Original-URL: /admin/',
    'x_original_url: /admin/',
    'X-Rewrite-URL: /admin/',
    'X.Rewrite.Url: /admin/',
    'X-Forwarded-Uri: /admin/',
    'X-Forwarded-Prefix: /admin',
    'X_Forwarded_Prefix: /admin',
    'X-HTTP-Method-Override: DELETE',
    'X_Method_Override: DELETE',
    'X_Forwarded_For: 6.6.6.6',
    'X.Forwarded.Proto: https',
    'X_Forwarded_Host: evil.example',
    'Forwarded: for=6.6.6.6;proto=https',
    'X-Real-IP: 6.6.6.6',
    'Keep-Alive: timeout=5',
    'Proxy-Connection: keep-alive',
    'Proxy-Authorization: Basic Zm9vOmJhcg==',
    'TE: trailers',
    'Trailer: X-Checksum',
    'Upgrade: h2c',
    'Connection: close, X-Hop-Secret, x_other_hop',
    'X-Hop-Secret: 1',
    'X-Other-Hop: 2',
    'X-Custom: kept',
    'X-Custom: kept-too',
    'Authorization: Bearer token',
    '__proto__: harmless',
  ]);
  const names = normalisedNames(r);
  for (const name of [
    'x-original-url',
    'x-rewrite-url',
    'x-forwarded-uri',
    'x-forwarded-prefix',
    'x-http-method-override',
    'x-method-override',
    'forwarded',
    'x-real-ip',
    'keep-alive',
    'proxy-connection',
    'proxy-authorization',
    'te',
    'trailer',
    'upgrade',
    'x-hop-secret',
    'x-other-hop',
  ]) {
    assert.equal(names.has(name), false, `${name} reached the upstream`);
  }
  assert.deepEqual(r.headers['x-forwarded-for'], ['127.0.0.1']);
  assert.deepEqual(r.headers['x-forwarded-proto'], ['http']);
  assert.deepEqual(r.headers['x-forwarded-host'], ['app.example.com']);
  assert.deepEqual(r.headers['x-custom'], ['kept', 'kept-too']);
  assert.deepEqual(r.headers['authorization'], ['Bearer token']);
  // (A header named __proto__ may or may not pass; it must not break anything.)
  assert.deepEqual(r.headers['host'], ['app.example.com']);
  // The upstream connection is the gateway's business: the client's Connection never passes.
  assert.notDeepEqual(r.headers['connection'], ['close, X-Hop-Secret, x_other_hop']);
});

test('a Connection header cannot strip Host or Content-Length', async () => {
  const response = await rawRequest(
    gateway.port,
    'POST /c HTTP/1.1\r\nHost: app.example.com\r\nConnection: close, Host, Content-Length\r\nContent-Length: 5\r\n\r\nhello',
  );
  assert.equal(response.status, 200);
  const r = await upstream.nextRequest();
  assert.deepEqual(r.headers['host'], ['app.example.com']);
  assert.deepEqual(r.headers['content-length'], ['5']);
  assert.equal(r.bodyBytes, 5);
});

test('a verified user: identity headers set once each', async () => {
  gateway.identity = { username: 'alice', email: 'alice@example.com', groups: ['staff', 'ops'], verified: true, device: 'totp' };
  try {
    const r = await send(gateway, ['X-Forwarded-User: mallory', 'X_Forwarded_Groups: admins', 'Connection: close']);
    assert.deepEqual(r.headers['x-user-verified'], ['true']);
    assert.deepEqual(r.headers['x-forwarded-user'], ['alice']);
    assert.deepEqual(r.headers['x-forwarded-email'], ['alice@example.com']);
    assert.deepEqual(r.headers['x-forwarded-groups'], ['staff,ops']);
    assert.deepEqual(r.headers['x-user-device'], ['totp']);
    assert.equal(normalisedNames(r).size, Object.keys(r.headers).length, 'no alias copies');
  } finally {
    gateway.identity = null;
  }
});

test('a logged-in user in no group and without email: those headers are absent; not verified is false', async () => {
  gateway.identity = { username: 'bob', email: null, groups: [], verified: false, device: null };
  try {
    const r = await send(gateway, ['X-Forwarded-Groups: admins', 'X-Forwarded-Email: a@b', 'X-User-Device: totp', 'Connection: close']);
    assert.deepEqual(r.headers['x-user-verified'], ['false']);
    assert.deepEqual(r.headers['x-forwarded-user'], ['bob']);
    assert.equal(r.headers['x-forwarded-groups'], undefined);
    assert.equal(r.headers['x-forwarded-email'], undefined);
    assert.equal(r.headers['x-user-device'], undefined);
  } finally {
    gateway.identity = null;
  }
});

test('identity values outside printable ASCII are percent-encoded, never break the header line', async () => {
  gateway.identity = { username: 'zoë%', email: 'zoë@example.com', groups: ['équipe'], verified: true, device: 'backup' };
  try {
    const r = await send(gateway, ['Connection: close']);
    assert.deepEqual(r.headers['x-forwarded-user'], ['zo%C3%AB%25']);
    assert.deepEqual(r.headers['x-forwarded-email'], ['zo%C3%AB@example.com']);
    assert.deepEqual(r.headers['x-forwarded-groups'], ['%C3%A9quipe']);
    assert.deepEqual(r.headers['x-user-device'], ['backup']);
  } finally {
    gateway.identity = null;
  }
});

test('the session and remember cookies are removed; other cookies are kept', async () => {
  const r = await send(gateway, [
    'Cookie: a=1; otpgate_session=s3cret; b=2',
    'Cookie: otpgate_remember=r3member; c=3',
    'Connection: close',
  ]);
  assert.deepEqual(r.headers['cookie'], ['a=1; b=2; c=3']);
  assert.ok(!JSON.stringify(r.rawHeaders).includes('s3cret'));
  assert.ok(!JSON.stringify(r.rawHeaders).includes('r3member'));

  const only = await send(gateway, ['Cookie: otpgate_session=s3cret; otpgate_remember=x', 'Connection: close']);
  assert.equal(only.headers['cookie'], undefined);
});

test('X-Forwarded-*: replaced for an untrusted peer, appended to for a trusted one', async () => {
  const spoof = ['X-Forwarded-For: 6.6.6.6', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: evil.example'];
  const untrusted = await send(gateway, [...spoof, 'Connection: close']);
  assert.deepEqual(untrusted.headers['x-forwarded-for'], ['127.0.0.1']);
  assert.deepEqual(untrusted.headers['x-forwarded-proto'], ['http']);
  assert.deepEqual(untrusted.headers['x-forwarded-host'], ['app.example.com']);

  const trusted = await send(trustingGateway, [...spoof, 'Connection: close']);
  assert.deepEqual(trusted.headers['x-forwarded-for'], ['6.6.6.6, 127.0.0.1']);
  assert.deepEqual(trusted.headers['x-forwarded-proto'], ['https']);
  assert.deepEqual(trusted.headers['x-forwarded-host'], ['app.example.com']);
});

test('Node client requests (object headers) go through the same way', async () => {
  const res = await get(gateway.port, '/node', { 'x-user-verified': 'true', 'x-forwarded-user': 'eve' });
  assert.equal(res.status, 200);
  const echoed = JSON.parse(res.body) as { headers: Record<string, string[]> };
  assert.deepEqual(echoed.headers['x-user-verified'], ['false']);
  assert.equal(echoed.headers['x-forwarded-user'], undefined);
  await upstream.nextRequest();
});
