// "The path that is checked is the path that is forwarded", end to end: raw
// request targets go out byte for byte over a socket, and the test asserts
// the exact request target the upstream received, that every spelling of a
// protected path is refused like the path itself, and that targets which
// cannot be canonicalised are answered 400 and reach nobody. The pure table
// (test/policy/canonical.test.ts) has many more variants; these go through
// the whole gateway.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, DEFAULT_USERS, type TestGateway } from '../helpers/gateway.ts';
import { rawRequest, echoOf, forwardedSince, portOf, cookieLine } from './fixtures/raw-http.ts';

const JSON_ACCEPT = 'Accept: application/json';
const HTML = 'Accept: text/html';

/** Public targets and the exact request target the upstream must receive. */
const FORWARDED: Array<[target: string, upstreamSees: string]> = [
  ['/x/../public%7e/a//b', '/public~/a/b'],
  ['/administrator', '/administrator'],
  ['/administrator/', '/administrator/'],
  ['/admin-tools/x', '/admin-tools/x'],
  ['/admindocsx', '/admindocsx'],
  ['/public?/admin/', '/public?/admin/'],
  ['/public?next=/admin/&a=%2e%2e%2f', '/public?next=/admin/&a=%2e%2e%2f'],
  ['/a/./b/', '/a/b/'],
  ['//public//x', '/public/x'],
  ['/%7Euser/', '/~user/'],
  ['/a%2Db%5F%2E', '/a-b_.'],
  ['/%41BC', '/ABC'],
  ['/caf%c3%a9', '/caf%C3%A9'],
  ['/%F0%9F%98%80/', '/%F0%9F%98%80/'],
  ['/a%20b', '/a%20b'],
  ['/x/%2e%2e/public', '/public'],
  ['/administrator/../public', '/public'],
  ['/admin%3Bx/', '/admin%3Bx/'],
  ['/x/.;y/public', '/x/public'],
  ['/public/.', '/public/'],
  ['/', '/'],
  ['http://evil.example/public/x', '/public/x'],
  ['http://evil.example', '/'],
];

/** Spellings of protected paths: refused for an anonymous client as the canonical path. */
const PROTECTED: Array<[target: string, canonical: string]> = [
  ['/admin/', '/admin/'],
  ['/admin', '/admin'],
  ['/%61dmin/', '/admin/'],
  ['/%61%64%6d%69%6e/', '/admin/'],
  ['/ADMIN/', '/ADMIN/'],
  ['/AdMiN/x', '/AdMiN/x'],
  ['/admin;x/', '/admin;x/'],
  ['/admin;/', '/admin;/'],
  ['/x/..;/admin/', '/admin/'],
  ['/x/.;y/../admin/', '/admin/'],
  ['//admin/', '/admin/'],
  ['///admin///users', '/admin/users'],
  ['/x/../admin/', '/admin/'],
  ['/./admin/', '/admin/'],
  ['/x/.%2e/admin/', '/admin/'],
  ['/x/%2E./admin/', '/admin/'],
  ['/Admin/../admin/x', '/admin/x'],
  ['/administrator/../admin/', '/admin/'],
  ['/public/..//admin', '/admin'],
  ['http://evil.example/admin/', '/admin/'],
  ['HTTP://evil.example/admin/', '/admin/'],
  ['/ADMINDOCS/', '/ADMINDOCS/'],
  ['/admindocs;v=1/x', '/admindocs;v=1/x'],
  ['/admin/?next=/public', '/admin/?next=/public'],
];

/** Targets that cannot be canonicalised unambiguously: 400, never forwarded. */
const REJECTED: string[] = [
  '/%2e%2e/admin',
  '/../admin/',
  '/public/%2E%2E/%2E%2E/admin',
  '/admin%2f',
  '/admin%2F',
  '/public%2f..%2fadmin/',
  '/admin%5c',
  '/public%5C..%5Cadmin',
  '/x\\..\\admin/',
  '/%00admin',
  '/admin%00/',
  '/a%0d%0ab',
  '/%c0%af',
  '/%C1%A1dmin/',
  '/x/%c0%ae%c0%ae/admin',
  '/%E0%80%AFadmin',
  '/%ED%A0%80',
  '/%zz',
  '/%',
  '/admin%',
  '/admin#x',
  '/\x7fadmin',
  '*',
];

describe('gateway core: canonical paths end to end', { timeout: 30_000 }, () => {
  let gw: TestGateway;
  let port: number;
  let verifiedCookie: string;
  before(async () => {
    gw = await startTestGateway();
    port = portOf(gw.url);
    const alice = gw.client();
    await alice.enrol(gw, 'alice', DEFAULT_USERS.alice!.password);
    verifiedCookie = cookieLine(alice.cookies);
  });
  after(() => gw.close());

  it(`forwards exactly the canonical path of public targets (${FORWARDED.length} cases)`, async () => {
    for (const [target, upstreamSees] of FORWARDED) {
      const before = gw.upstream.requests.length;
      const res = await rawRequest(port, target, [JSON_ACCEPT]);
      assert.equal(res.status, 200, target);
      assert.equal(echoOf(res).url, upstreamSees, target);
      const received = gw.upstream.requests.slice(before);
      assert.equal(received.length, 1, target);
      assert.equal(received[0]!.url, upstreamSees, target);
      assert.deepEqual(received[0]!.headers['x-user-verified'], ['false'], target);
    }
  });

  it(`refuses every spelling of a protected path like the path itself (${PROTECTED.length} cases)`, async () => {
    const before = gw.upstream.requests.length;
    for (const [target, canonical] of PROTECTED) {
      const api = await rawRequest(port, target, [JSON_ACCEPT]);
      assert.equal(api.status, 401, target);
      assert.deepEqual(JSON.parse(api.body), { error: 'login_required', login_url: `/_otpgate/login?next=${encodeURIComponent(canonical)}` }, target);
      const page = await rawRequest(port, target, [HTML]);
      assert.equal(page.status, 303, target);
      assert.equal(page.headers.location?.[0], `/_otpgate/login?next=${encodeURIComponent(canonical)}`, target);
    }
    assert.deepEqual(await forwardedSince(gw, before), []);
  });

  it('forwards a verified user the same canonical path that was checked', async () => {
    for (const [target, canonical] of PROTECTED) {
      const before = gw.upstream.requests.length;
      const res = await rawRequest(port, target, [JSON_ACCEPT, verifiedCookie]);
      assert.equal(res.status, 200, target);
      const received = gw.upstream.requests.slice(before);
      assert.equal(received.length, 1, target);
      assert.equal(received[0]!.url, canonical, target);
      assert.deepEqual(received[0]!.headers['x-user-verified'], ['true'], target);
      assert.deepEqual(received[0]!.headers['x-forwarded-user'], ['alice'], target);
    }
  });

  it(`answers 400 to targets that cannot be canonicalised and forwards nothing (${REJECTED.length} cases)`, async () => {
    const before = gw.upstream.requests.length;
    for (const target of REJECTED) {
      for (const headers of [[JSON_ACCEPT], [HTML, verifiedCookie]]) {
        const res = await rawRequest(port, target, headers);
        assert.equal(res.status, 400, `${JSON.stringify(target)} ${headers.length}`);
      }
    }
    assert.deepEqual(await forwardedSince(gw, before), []);
  });

  it('matches rules on the path only, never on the query string', async () => {
    const before = gw.upstream.requests.length;
    const publicWithAdminQuery = await rawRequest(port, '/public?/admin/', [HTML]);
    assert.equal(publicWithAdminQuery.status, 200);
    const adminWithPublicQuery = await rawRequest(port, '/admin/?/public', [HTML]);
    assert.equal(adminWithPublicQuery.status, 303);
    const received = gw.upstream.requests.slice(before);
    assert.deepEqual(
      received.map((r) => r.url),
      ['/public?/admin/'],
    );
  });
});
