// Open redirects through `next`: on /login (GET and POST), /verify (GET and
// POST), /setup (the page, its form and the "continue" link after enrolment)
// and the upstream login_paths. Whatever `next` says, the gateway only ever
// sends the browser to a path on its own origin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, DEFAULT_USERS, hiddenFields, secretFrom, type Client, type TestGateway } from '../helpers/gateway.ts';

const ALICE = (DEFAULT_USERS.alice as { password: string }).password;
const BOB = (DEFAULT_USERS.bob as { password: string }).password;

const PAYLOADS = [
  '//evil.example',
  '//evil.example/admin/',
  '/\\evil.example',
  '\\\\evil.example',
  'https://evil.example',
  'https:evil.example',
  '%2F%2Fevil.example',
  '/%2F%2Fevil',
  '/%5Cevil.example',
  '/\t/evil.example',
  '/\\t/evil.example',
  '/\n/evil.example',
  ' //evil.example',
  'javascript:alert(1)',
  '/admin/\r\nLocation: https://evil.example',
];

const ORIGIN = 'http://gateway.test';

/** A Location (or a link) that a browser resolves to a path on our own origin. */
function assertLocal(location: string | null | undefined, what: string): void {
  assert.ok(location, `${what}: no location`);
  assert.ok(location.startsWith('/'), `${what}: ${JSON.stringify(location)} is not a path`);
  assert.ok(!location.startsWith('//'), `${what}: ${JSON.stringify(location)}`);
  for (const ch of location) {
    const c = ch.charCodeAt(0);
    assert.ok(c > 0x20 && c !== 0x7f && ch !== '\\', `${what}: ${JSON.stringify(location)} has a backslash, space or control character`);
  }
  const resolved = new URL(location, `${ORIGIN}/`);
  assert.equal(resolved.origin, ORIGIN, `${what}: ${JSON.stringify(location)} leaves the origin`);
  // A gateway page's own `next` parameter must be local too.
  const inner = resolved.searchParams.get('next');
  if (inner !== null && resolved.pathname.startsWith('/_otpgate/')) assertLocal(inner, `${what} (inner next)`);
}

describe('attack: open redirect via next', () => {
  let gw: TestGateway;
  let secret: string;
  let verified: Client;
  before(async () => {
    gw = await startTestGateway();
    verified = gw.client();
    ({ secret } = await verified.enrol(gw, 'alice', ALICE));
  });
  after(() => gw.close());

  it('GET /login: anonymous pages carry a local next; a signed-in user is sent somewhere local', async () => {
    const anon = gw.client();
    for (const p of PAYLOADS) {
      const page = await anon.get(`${gw.base}/login?next=${encodeURIComponent(p)}`);
      assert.equal(page.status, 200);
      assertLocal(hiddenFields(page.text).next, `login form next for ${JSON.stringify(p)}`);
      const r = await verified.get(`${gw.base}/login?next=${encodeURIComponent(p)}`);
      assert.equal(r.status, 303);
      assertLocal(r.location, `GET /login (verified) ${JSON.stringify(p)}`);
    }
  });

  it('POST /login: the next field is never followed off-site', async () => {
    for (const p of PAYLOADS) {
      const c = gw.client();
      const page = await c.get(`${gw.base}/login`);
      const r = await c.post(`${gw.base}/login`, { username: 'bob', password: BOB, next: p }, page.text);
      assert.equal(r.status, 303, `POST /login ${JSON.stringify(p)}: ${r.status}`);
      assertLocal(r.location, `POST /login ${JSON.stringify(p)}`);
    }
  });

  it('GET and POST /verify', async () => {
    const c = gw.client();
    await c.login('alice', ALICE, '/admin/');
    for (const p of PAYLOADS) {
      const r = await verified.get(`${gw.base}/verify?next=${encodeURIComponent(p)}`);
      assertLocal(r.location, `GET /verify (verified) ${JSON.stringify(p)}`);
      const page = await c.get(`${gw.base}/verify?next=${encodeURIComponent(p)}`);
      assert.equal(page.status, 200);
      assertLocal(hiddenFields(page.text).next, `verify form next for ${JSON.stringify(p)}`);
      const anon = await gw.client().get(`${gw.base}/verify?next=${encodeURIComponent(p)}`);
      assertLocal(anon.location, `GET /verify (anonymous) ${JSON.stringify(p)}`);
    }
    // A successful verification posting a hostile next.
    const page = await c.get(`${gw.base}/verify`);
    gw.clock.nextStep();
    const r = await c.post(`${gw.base}/verify`, { code: gw.totp(secret), next: '//evil.example' }, page.text);
    assert.equal(r.status, 303);
    assertLocal(r.location, 'POST /verify');
  });

  it('/setup: the redirect, the form and the link after enrolment', async () => {
    const bob = gw.client();
    await bob.login('bob', BOB, '/');
    for (const p of PAYLOADS) {
      const anon = await gw.client().get(`${gw.base}/setup?next=${encodeURIComponent(p)}`);
      assertLocal(anon.location, `GET /setup (anonymous) ${JSON.stringify(p)}`);
      const redirected = await verified.get(`${gw.base}/setup?next=${encodeURIComponent(p)}`);
      assertLocal(redirected.location, `GET /setup (enrolled) ${JSON.stringify(p)}`);
      const page = await bob.get(`${gw.base}/setup?next=${encodeURIComponent(p)}`);
      assert.equal(page.status, 200);
      assertLocal(hiddenFields(page.text).next, `setup form next for ${JSON.stringify(p)}`);
    }
    const page = await bob.get(`${gw.base}/setup`);
    gw.clock.nextStep();
    const done = await bob.post(`${gw.base}/setup`, { code: gw.totp(secretFrom(page.text)), next: 'https://evil.example/' }, page.text);
    assert.equal(done.status, 200);
    const links = [...done.text.matchAll(/<a [^>]*href="([^"]*)"/g)].map((m) => m[1] as string).filter((h) => !h.startsWith('data:'));
    assert.ok(links.length > 0);
    for (const href of links) assertLocal(href.replace(/&amp;/g, '&'), `link after enrolment ${href}`);
  });

  it('upstream login_paths redirect to the gateway login with a local next', async () => {
    for (const p of PAYLOADS) {
      const before = gw.upstream.requests.length;
      const r = await gw.client().get(`/admin/login/?next=${encodeURIComponent(p)}`);
      assert.equal(r.status, 303);
      assertLocal(r.location, `login_path ${JSON.stringify(p)}`);
      assert.ok(r.location?.startsWith(`${gw.base}/login?next=`));
      assert.equal(gw.upstream.requests.length, before, 'the upstream login form is never reached');
    }
    const fine = await gw.client().get('/admin/login/?next=%2Fadmin%2Fusers%2F');
    assert.equal(fine.location, `${gw.base}/login?next=%2Fadmin%2Fusers%2F`);
  });
});
