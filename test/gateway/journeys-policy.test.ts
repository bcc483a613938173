// Journeys through the access rules: two_factor.enforce, otp_if_configured,
// groups, a user disabled in the users file, and session timeouts — over HTTP
// against a real gateway, real upstream and real Redis.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { hashPassword } from '../../src/auth/passwords.ts';
import { startTestGateway, DEFAULT_USERS, type Client, type TestGateway, reaches, upstreamSaw } from '../helpers/gateway.ts';

const ALICE = (DEFAULT_USERS.alice as { password: string }).password;
const BOB = (DEFAULT_USERS.bob as { password: string }).password;

/** A refused navigation: nothing reaches the upstream; returns the reply. */
async function refused(c: Client, gw: TestGateway, path: string, headers: Record<string, string> = {}) {
  const before = gw.upstream.requests.length;
  const r = await c.get(path, headers);
  assert.notEqual(r.status, 200, `${path} must be refused`);
  assert.equal(gw.upstream.requests.length, before, `${path} reached the upstream`);
  return r;
}

describe('journey: two_factor.enforce', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ config: { two_factor: { enforce: true } } });
  });
  after(() => gw.close());

  it('sends a user without a device to /setup before a login-only path, then lets them through verified', async () => {
    const c = gw.client();
    const login = await c.login('bob', BOB, '/members/');
    assert.equal(login.status, 303);
    assert.equal(login.location, `${gw.base}/setup?next=%2Fmembers%2F`);
    const r = await refused(c, gw, '/members/');
    assert.equal(r.status, 303);
    assert.equal(r.location, `${gw.base}/setup?next=%2Fmembers%2F`);
    // Not a browser navigation: 403 JSON naming where to go.
    const api = await refused(c, gw, '/members/', { accept: 'application/json' });
    assert.equal(api.status, 403);
    // Public paths are not affected.
    assert.deepEqual(await reaches(c, gw, '/'), { url: '/', verified: ['false'], user: ['bob'], email: ['bob@example.com'], groups: undefined, device: undefined, cookie: undefined });

    const page = await c.get(`${gw.base}/setup?next=%2Fmembers%2F`);
    assert.equal(page.status, 200);
    const enrolled = gw.client();
    const { secret } = await enrolled.enrol(gw, 'alice', ALICE);
    assert.ok(secret);
    assert.deepEqual(await reaches(enrolled, gw, '/members/'), {
      url: '/members/', verified: ['true'], user: ['alice'], email: ['alice@example.com'], groups: ['staff'], device: ['totp'], cookie: undefined,
    });
  });

  it('refuses /disable with 403 while enforced, and keeps the device', async () => {
    const c = gw.client();
    const { secret } = await c.enrol(gw, 'bob', BOB);
    const account = await c.get(`${gw.base}/account`);
    assert.equal(account.status, 200);
    gw.clock.nextStep();
    const r = await c.post(`${gw.base}/disable`, { code: gw.totp(secret) }, account.text);
    assert.equal(r.status, 403);
    assert.equal(await gw.redis?.exists(`${gw.keyPrefix}user:bob:totp`), 1);
    assert.equal(await gw.redis?.scard(`${gw.keyPrefix}user:bob:backup`), 10);
  });
});

describe('journey: otp_if_configured, groups, disabled users', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it('otp_if_configured: no device -> allowed unverified; a device -> /verify until verified', async () => {
    const bob = gw.client();
    await bob.login('bob', BOB, '/maybe/');
    assert.deepEqual(await reaches(bob, gw, '/maybe/'), { url: '/maybe/', verified: ['false'], user: ['bob'], email: ['bob@example.com'], groups: undefined, device: undefined, cookie: undefined });

    // A browser signed in with the password alone before alice had a device...
    const before = gw.client();
    await before.login('alice', ALICE, '/maybe/');
    assert.equal((await reaches(before, gw, '/maybe/')).verified?.toString(), 'false');

    const alice = gw.client();
    const { secret } = await alice.enrol(gw, 'alice', ALICE);
    assert.equal((await reaches(alice, gw, '/maybe/')).verified?.toString(), 'true');
    // ...is signed out by the enrolment: it cannot keep using otp_if_configured paths unverified.
    const stale = await refused(before, gw, '/maybe/');
    assert.equal(stale.location, `${gw.base}/login?next=%2Fmaybe%2F`);

    const again = gw.client();
    const login = await again.login('alice', ALICE, '/maybe/');
    assert.equal(login.location, `${gw.base}/verify?next=%2Fmaybe%2F`);
    const r = await refused(again, gw, '/maybe/');
    assert.equal(r.status, 303);
    assert.equal(r.location, `${gw.base}/verify?next=%2Fmaybe%2F`);
    const api = await refused(again, gw, '/maybe/', { accept: 'application/json' });
    assert.equal(api.status, 403);
    assert.equal(api.json<{ login_url: string }>().login_url.startsWith(`${gw.base}/`), true);

    gw.clock.nextStep();
    const page = await again.get(`${gw.base}/verify?next=%2Fmaybe%2F`);
    const ok = await again.post(`${gw.base}/verify`, { code: gw.totp(secret) }, page.text);
    assert.equal(ok.status, 303);
    assert.equal(ok.location, '/maybe/');
    assert.deepEqual(await reaches(again, gw, '/maybe/'), {
      url: '/maybe/', verified: ['true'], user: ['alice'], email: ['alice@example.com'], groups: ['staff'], device: ['totp'], cookie: undefined,
    });
  });

  it('groups: a signed-in user outside the group gets a 403 page, not the login page; a member passes', async () => {
    const bob = gw.client();
    await bob.login('bob', BOB, '/');
    const r = await refused(bob, gw, '/staff/reports');
    assert.equal(r.status, 403);
    assert.equal(r.location, null);
    assert.match(r.headers.get('content-type') ?? '', /text\/html/);
    const api = await refused(bob, gw, '/staff/reports', { accept: 'application/json' });
    assert.equal(api.status, 403);
    // Anonymous: the login page, as for any requirement.
    const anon = await refused(gw.client(), gw, '/staff/reports');
    assert.equal(anon.status, 303);
    assert.equal(anon.location, `${gw.base}/login?next=%2Fstaff%2Freports`);

    const alice = gw.client();
    await alice.login('alice', ALICE, '/');
    const seen = await reaches(alice, gw, '/staff/reports');
    assert.deepEqual([seen.user, seen.groups], [['alice'], ['staff']]);
    // The login step itself sends bob, who can never pass, on to the 403, not round in circles.
    const fresh = gw.client();
    const direct = await fresh.login('bob', BOB, '/staff/');
    assert.equal(direct.status, 303);
    assert.equal(direct.location, '/staff/');
    assert.equal((await fresh.get(direct.location as string)).status, 403);
  });

  it('a user disabled in the users file loses their session as soon as the file is re-read', async () => {
    const bob = gw.client();
    await bob.login('bob', BOB, '/members/');
    assert.equal((await reaches(bob, gw, '/members/')).user?.toString(), 'bob');

    const text = readFileSync(gw.usersFile, 'utf8');
    const edited = text.replace(/( {2}bob:\n(?: {4}.*\n)*)/, '$1    disabled: true\n');
    assert.notEqual(edited, text);
    // The gateway watches the file: await the edit being applied and bob's sessions ending.
    const ended = once(gw.gateway.events, 'sessionsEnded');
    writeFileSync(gw.usersFile, edited);
    assert.deepEqual(await ended, ['bob']);
    assert.equal(await gw.redis?.exists(`${gw.keyPrefix}user:bob:sessions`), 0);
    const r = await bob.get('/members/');
    assert.equal(r.status, 303, 'the disabled user is anonymous now');
    assert.equal(r.location, `${gw.base}/login?next=%2Fmembers%2F`);
    const upstreamBefore = gw.upstream.requests.length;
    const publicPage = await bob.get('/');
    assert.equal(publicPage.status, 200);
    assert.equal(gw.upstream.requests.length, upstreamBefore + 1);
    assert.equal(upstreamSaw(gw).user, undefined);

    // And the right password no longer signs them in.
    const again = await gw.client().login('bob', BOB, '/members/');
    assert.equal(again.status, 401);
  });
});

describe('journey: a password changed in the users file', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it('ends every session of that user, and only theirs', async () => {
    const bob = gw.client();
    await bob.login('bob', BOB, '/members/');
    const alice = gw.client();
    await alice.login('alice', ALICE, '/members/');
    assert.equal((await reaches(bob, gw, '/members/')).user?.toString(), 'bob');

    const newHash = await hashPassword('a brand new password');
    const text = readFileSync(gw.usersFile, 'utf8');
    const edited = text.replace(/( {2}bob:\n {4}password: )"[^"]*"/, `$1"${newHash}"`);
    assert.notEqual(edited, text);
    const ended = once(gw.gateway.events, 'sessionsEnded');
    writeFileSync(gw.usersFile, edited);
    assert.deepEqual(await ended, ['bob']);

    const r = await bob.get('/members/');
    assert.equal(r.status, 303);
    assert.equal(r.location, `${gw.base}/login?next=%2Fmembers%2F`);
    assert.equal((await reaches(alice, gw, '/members/')).user?.toString(), 'alice', 'other users keep their sessions');
    assert.equal((await gw.client().login('bob', BOB, '/members/')).status, 401, 'the old password is refused');
    assert.equal((await gw.client().login('bob', 'a brand new password', '/members/')).status, 303);
  });
});

describe('journey: session timeouts', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ config: { session: { idle_timeout: '10m', max_age: '1h' } } });
  });
  after(() => gw.close());

  it('ends a session left idle past session.idle_timeout', async () => {
    const c = gw.client();
    await c.login('bob', BOB, '/members/');
    gw.clock.advance(9 * 60_000);
    assert.equal((await reaches(c, gw, '/members/')).user?.toString(), 'bob');
    gw.clock.advance(9 * 60_000);
    assert.equal((await reaches(c, gw, '/members/')).user?.toString(), 'bob', 'activity keeps it alive');
    gw.clock.advance(10 * 60_000 + 1);
    const r = await refused(c, gw, '/members/');
    assert.equal(r.location, `${gw.base}/login?next=%2Fmembers%2F`);
  });

  it('ends an active session at session.max_age', async () => {
    const c = gw.client();
    await c.login('bob', BOB, '/members/');
    for (let minutes = 9; minutes < 60; minutes += 9) {
      gw.clock.advance(9 * 60_000);
      assert.equal((await reaches(c, gw, '/members/')).user?.toString(), 'bob', `alive after ${minutes} min`);
    }
    gw.clock.advance(6 * 60_000);
    const r = await refused(c, gw, '/members/');
    assert.equal(r.status, 303);
    assert.equal(r.location, `${gw.base}/login?next=%2Fmembers%2F`);
  });
});
