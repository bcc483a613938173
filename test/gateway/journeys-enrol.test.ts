// The two-factor journeys of one user, over HTTP against a real gateway, a
// real upstream and real Redis: enrol, log out, verify with TOTP or a backup
// code, remember the browser, regenerate backup codes, disable two-factor.
// What matters is what the upstream received, so every step looks there.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, DEFAULT_USERS, backupCodesFrom, secretFrom, type Client, type TestGateway, reaches, upstreamSaw } from '../helpers/gateway.ts';

const ALICE = DEFAULT_USERS.alice as { password: string };
const COOKIE = 'otpgate_session';
const REMEMBER = 'otpgate_session_remember';

function aliceVia(device: string, url = '/admin/'): Record<string, unknown> {
  return { url, verified: ['true'], user: ['alice'], email: ['alice@example.com'], groups: ['staff'], device: [device], cookie: undefined };
}

function sessionId(c: Client): string | null {
  const v = c.cookies.get(COOKIE);
  return v ? (decodeURIComponent(v).split('.')[0] ?? null) : null;
}

async function sessionInRedis(gw: TestGateway, id: string | null): Promise<boolean> {
  assert.ok(id);
  return (await gw.redis?.exists(`${gw.keyPrefix}session:${id}`)) === 1;
}

/** A gateway page the signed-in user can see, for its form tokens: /account, or where it sends them. */
async function signedInPage(c: Client, gw: TestGateway): Promise<string> {
  const r = await c.get(`${gw.base}/account`);
  if (r.status === 200) return r.text;
  assert.equal(r.status, 303);
  const page = await c.get(r.location as string);
  assert.equal(page.status, 200);
  return page.text;
}

async function logout(c: Client, gw: TestGateway): Promise<void> {
  const r = await c.post(`${gw.base}/logout`, {}, await signedInPage(c, gw));
  assert.equal(r.status, 303);
  assert.equal(r.location, `${gw.base}/login?signed_out=1`);
}

async function verify(c: Client, gw: TestGateway, code: string, extra: Record<string, string> = {}, next = '/admin/') {
  const page = await c.get(`${gw.base}/verify?next=${encodeURIComponent(next)}`);
  assert.equal(page.status, 200, `verify page: ${page.status} ${page.location ?? ''}`);
  return c.post(`${gw.base}/verify`, { code, ...extra }, page.text);
}

async function accountPage(c: Client, gw: TestGateway): Promise<string> {
  const r = await c.get(`${gw.base}/account`);
  assert.equal(r.status, 200, `account: ${r.status} ${r.location ?? ''}`);
  return r.text;
}

/**
 * Failed codes slow this client address down from the third failure on, and
 * a success does not reset the address (see src/auth/throttle.ts). A journey
 * that includes a failure lets the delay pass before going on.
 */
function cooldown(gw: TestGateway): void {
  gw.clock.advance(60_000);
}

describe('journey: enrol, log out, verify again', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it('walks enrolment from scratch to a verified /admin/, then logs out and verifies with TOTP', async () => {
    const c = gw.client();
    const first = await c.get('/admin/');
    assert.equal(first.status, 303);
    assert.equal(first.location, `${gw.base}/login?next=%2Fadmin%2F`);
    assert.equal(gw.upstream.requests.length, 0);

    const login = await c.login('alice', ALICE.password, '/admin/');
    assert.equal(login.status, 303);
    assert.equal(login.location, `${gw.base}/setup?next=%2Fadmin%2F`);
    const loginId = sessionId(c);
    assert.ok(await sessionInRedis(gw, loginId));

    // Logged in but not enrolled: /admin/ offers setup, and nothing reaches the upstream.
    const offered = await c.get('/admin/');
    assert.equal(offered.status, 303);
    assert.equal(offered.location, `${gw.base}/setup?next=%2Fadmin%2F`);

    const setup = await c.get(`${gw.base}/setup?next=%2Fadmin%2F`);
    assert.equal(setup.status, 200);
    const secret = secretFrom(setup.text);
    assert.match(setup.text, /otpauth:\/\/totp\/[^"]*issuer=Test(%20|\+)Corp/);
    assert.match(setup.text, /<svg[\s>]/, 'a QR code as inline SVG');
    assert.ok(setup.text.replace(/\s/g, '').includes(secret), 'the base32 secret as text for manual entry');

    gw.clock.nextStep();
    const done = await c.post(`${gw.base}/setup`, { code: gw.totp(secret) }, setup.text);
    assert.equal(done.status, 200);
    const codes = backupCodesFrom(done.text);
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.ok(done.text.includes(`<code>${code}</code>`), `${code} in its own <code>`);
    // Confirming enrolment verified the session, under a new id.
    assert.notEqual(sessionId(c), loginId);
    assert.equal(await sessionInRedis(gw, loginId), false);

    assert.deepEqual(await reaches(c, gw, '/admin/'), aliceVia('totp'));

    // Logout ends the session in the store, and the browser is anonymous again.
    const verifiedId = sessionId(c);
    assert.ok(await sessionInRedis(gw, verifiedId));
    await logout(c, gw);
    assert.equal(await sessionInRedis(gw, verifiedId), false);
    assert.equal(c.cookies.has(COOKIE), false);
    const anon = await c.get('/admin/');
    assert.equal(anon.status, 303);
    assert.equal(anon.location, `${gw.base}/login?next=%2Fadmin%2F`);
    const publicPage = await reaches(c, gw, '/');
    assert.deepEqual(publicPage, { url: '/', verified: ['false'], user: undefined, email: undefined, groups: undefined, device: undefined, cookie: undefined });

    // Logging in again asks for a code; a fresh TOTP step gets the user in.
    const again = await c.login('alice', ALICE.password, '/admin/');
    assert.equal(again.status, 303);
    assert.equal(again.location, `${gw.base}/verify?next=%2Fadmin%2F`);
    const notYet = await c.get('/admin/');
    assert.equal(notYet.status, 303);
    assert.equal(notYet.location, `${gw.base}/verify?next=%2Fadmin%2F`);
    // A logged-in, unverified user is still named upstream on a login-only path.
    assert.deepEqual(await reaches(c, gw, '/members/x'), {
      url: '/members/x', verified: ['false'], user: ['alice'], email: ['alice@example.com'], groups: ['staff'], device: undefined, cookie: undefined,
    });

    gw.clock.nextStep();
    const ok = await verify(c, gw, gw.totp(secret));
    assert.equal(ok.status, 303);
    assert.equal(ok.location, '/admin/');
    assert.deepEqual(await reaches(c, gw, '/admin/'), aliceVia('totp'));
    assert.deepEqual(await reaches(c, gw, '/admindocs/models/?q=1'), aliceVia('totp', '/admindocs/models/?q=1'));
  });
});

describe('journey: backup codes, remembered browsers, regeneration, disabling', () => {
  let gw: TestGateway;
  let secret: string;
  let codes: string[];
  before(async () => {
    gw = await startTestGateway();
    const c = gw.client();
    ({ secret, backupCodes: codes } = await c.enrol(gw, 'alice', ALICE.password));
  });
  after(() => gw.close());

  it('verifies with a backup code once; the count left shows on /account', async () => {
    const c = gw.client();
    assert.equal((await c.login('alice', ALICE.password, '/admin/')).location, `${gw.base}/verify?next=%2Fadmin%2F`);
    const used = codes[0] as string;
    const r = await verify(c, gw, used, { mode: 'backup' });
    assert.equal(r.status, 303);
    assert.equal(r.location, '/admin/');
    assert.deepEqual(await reaches(c, gw, '/admin/'), aliceVia('backup'));
    assert.match(await accountPage(c, gw), /\b9 backup codes left/);
    assert.equal(await gw.redis?.scard(`${gw.keyPrefix}user:alice:backup`), 9);

    // The same code, in another browser, later: refused, and that browser stays unverified.
    const other = gw.client();
    await other.login('alice', ALICE.password, '/admin/');
    const again = await verify(other, gw, used, { mode: 'backup' });
    assert.equal(again.status, 401);
    cooldown(gw);
    assert.equal((await other.get('/admin/')).location, `${gw.base}/verify?next=%2Fadmin%2F`);
    assert.equal(await gw.redis?.scard(`${gw.keyPrefix}user:alice:backup`), 9);
    // Another unused code works, with dashes and spaces as typed.
    const typed = ` ${(codes[1] as string).toUpperCase()} `;
    const ok = await verify(other, gw, typed, { mode: 'backup' });
    assert.equal(ok.status, 303, 'an unused code in upper case with spaces');
    assert.match(await accountPage(other, gw), /\b8 backup codes left/);
  });

  it('remembers a browser until "forget all browsers"', async () => {
    const c = gw.client();
    await c.login('alice', ALICE.password, '/admin/');
    gw.clock.nextStep();
    const r = await verify(c, gw, gw.totp(secret), { remember: '1' });
    assert.equal(r.status, 303);
    assert.ok(c.cookies.has(REMEMBER), 'a remember-browser cookie');
    await logout(c, gw);

    // The password alone now verifies this browser: straight on to next, device "remembered".
    const back = await c.login('alice', ALICE.password, '/admin/');
    assert.equal(back.status, 303);
    assert.equal(back.location, '/admin/');
    assert.deepEqual(await reaches(c, gw, '/admin/'), aliceVia('remembered'));
    // The remember cookie is the gateway's own: never forwarded upstream.
    assert.equal(upstreamSaw(gw).cookie, undefined);

    // Another browser without the cookie still needs a code.
    const other = gw.client();
    assert.equal((await other.login('alice', ALICE.password, '/admin/')).location, `${gw.base}/verify?next=%2Fadmin%2F`);

    const account = await accountPage(c, gw);
    const forget = await c.post(`${gw.base}/forget-browsers`, {}, account);
    assert.equal(forget.status, 303);
    await logout(c, gw);
    assert.ok(c.cookies.has(REMEMBER), 'the cookie is still there, but void');
    const after = await c.login('alice', ALICE.password, '/admin/');
    assert.equal(after.location, `${gw.base}/verify?next=%2Fadmin%2F`);
    assert.equal((await c.get('/admin/')).status, 303);
  });

  it('forgets a remembered browser once session.remember_device has passed', async () => {
    const c = gw.client();
    await c.login('alice', ALICE.password, '/admin/');
    gw.clock.nextStep();
    assert.equal((await verify(c, gw, gw.totp(secret), { remember: '1' })).status, 303);
    await logout(c, gw);
    gw.clock.advance(29 * 86_400_000);
    assert.equal((await c.login('alice', ALICE.password, '/admin/')).location, '/admin/', 'still remembered after 29 days');
    await logout(c, gw);
    gw.clock.advance(2 * 86_400_000);
    const later = await c.login('alice', ALICE.password, '/admin/');
    assert.equal(later.location, `${gw.base}/verify?next=%2Fadmin%2F`, 'a code again after 31 days');
  });

  it('regenerates backup codes with a current code: the old ones stop working', async () => {
    const c = gw.client();
    await c.login('alice', ALICE.password, '/admin/');
    gw.clock.nextStep();
    assert.equal((await verify(c, gw, gw.totp(secret))).status, 303);
    const account = await accountPage(c, gw);
    gw.clock.nextStep();
    const r = await c.post(`${gw.base}/backup-codes`, { code: gw.totp(secret) }, account);
    assert.equal(r.status, 200);
    const fresh = backupCodesFrom(r.text);
    assert.equal(fresh.length, 10);
    assert.equal(fresh.filter((code) => codes.includes(code)).length, 0);
    assert.equal(await gw.redis?.scard(`${gw.keyPrefix}user:alice:backup`), 10);

    const other = gw.client();
    await other.login('alice', ALICE.password, '/admin/');
    assert.equal((await verify(other, gw, codes[5] as string, { mode: 'backup' })).status, 401, 'an old code');
    cooldown(gw);
    const ok = await verify(other, gw, fresh[0] as string, { mode: 'backup' });
    assert.equal(ok.status, 303, 'a new code');
    assert.deepEqual(await reaches(other, gw, '/admin/'), aliceVia('backup'));
    codes = fresh.slice(1);
  });

  it('refuses to regenerate or disable without a valid current code', async () => {
    const c = gw.client();
    await c.login('alice', ALICE.password, '/admin/');
    gw.clock.nextStep();
    assert.equal((await verify(c, gw, gw.totp(secret))).status, 303);
    const account = await accountPage(c, gw);
    const before = await gw.redis?.smembers(`${gw.keyPrefix}user:alice:backup`);
    assert.equal((await c.post(`${gw.base}/backup-codes`, { code: '000000' }, account)).status, 401);
    cooldown(gw);
    assert.equal((await c.post(`${gw.base}/disable`, { code: '' }, account)).status, 401);
    cooldown(gw);
    assert.deepEqual(await gw.redis?.smembers(`${gw.keyPrefix}user:alice:backup`), before);
    assert.equal(await gw.redis?.exists(`${gw.keyPrefix}user:alice:totp`), 1);
  });

  it('disables two-factor: devices removed, /admin/ offers setup again, and re-enrolment voids remembered browsers', async () => {
    const c = gw.client();
    await c.login('alice', ALICE.password, '/admin/');
    gw.clock.nextStep();
    assert.equal((await verify(c, gw, gw.totp(secret), { remember: '1' })).status, 303);
    const otherSession = gw.client();
    await otherSession.login('alice', ALICE.password, '/members/');
    const otherId = sessionId(otherSession);

    const account = await accountPage(c, gw);
    gw.clock.nextStep();
    const r = await c.post(`${gw.base}/disable`, { code: gw.totp(secret) }, account);
    assert.equal(r.status, 303);
    assert.equal(r.location, `${gw.base}/account?done=two_factor_disabled`);
    for (const key of ['totp', 'backup']) assert.equal(await gw.redis?.exists(`${gw.keyPrefix}user:alice:${key}`), 0, key);
    assert.equal(await sessionInRedis(gw, otherId), false, "the user's other sessions ended");

    // Still signed in, without two-factor: /admin/ offers setup, login-only paths work unverified.
    const offered = await c.get('/admin/');
    assert.equal(offered.status, 303);
    assert.equal(offered.location, `${gw.base}/setup?next=%2Fadmin%2F`);
    const members = await reaches(c, gw, '/members/');
    assert.deepEqual([members.verified, members.user, members.device], [['false'], ['alice'], undefined]);

    // Enrol again: the browser remembered under the old device is not remembered any more.
    const setup = await c.get(`${gw.base}/setup?next=%2Fadmin%2F`);
    const newSecret = secretFrom(setup.text);
    assert.notEqual(newSecret, secret);
    gw.clock.nextStep();
    assert.equal((await c.post(`${gw.base}/setup`, { code: gw.totp(newSecret) }, setup.text)).status, 200);
    await logout(c, gw);
    assert.ok(c.cookies.has(REMEMBER));
    const back = await c.login('alice', ALICE.password, '/admin/');
    assert.equal(back.location, `${gw.base}/verify?next=%2Fadmin%2F`);
    // The old secret's codes are worthless now.
    gw.clock.nextStep();
    assert.equal((await verify(c, gw, gw.totp(secret))).status, 401);
    cooldown(gw);
    gw.clock.nextStep();
    assert.equal((await verify(c, gw, gw.totp(newSecret))).status, 303);
    assert.deepEqual(await reaches(c, gw, '/admin/'), aliceVia('totp'));
  });
});
