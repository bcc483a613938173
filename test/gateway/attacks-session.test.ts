// Attacks on sessions and forms: session fixation, forged cookies, CSRF from
// another browser or a foreign origin, and identity headers spoofed by the
// client. Each must fail, and nothing must change.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestGateway, DEFAULT_USERS, hiddenFields, secretFrom, type Client, type Reply, type TestGateway } from '../helpers/gateway.ts';

const ALICE = (DEFAULT_USERS.alice as { password: string }).password;
const BOB = (DEFAULT_USERS.bob as { password: string }).password;
const COOKIE = 'otpgate_session';

function rawCookie(c: Client): string {
  const v = c.cookies.get(COOKIE);
  assert.ok(v, 'no session cookie');
  return v;
}

function idOf(cookie: string): string {
  return decodeURIComponent(cookie).split('.')[0] as string;
}

async function inRedis(gw: TestGateway, cookie: string): Promise<boolean> {
  return (await gw.redis?.exists(`${gw.keyPrefix}session:${idOf(cookie)}`)) === 1;
}

/** What the upstream is told when a request with exactly this session cookie asks for /members/. */
async function membersWith(gw: TestGateway, cookie: string): Promise<{ status: number; user?: string[] }> {
  const c = gw.client();
  c.cookies.set(COOKIE, cookie);
  const before = gw.upstream.requests.length;
  const r = await c.get('/members/');
  if (r.status !== 200) return { status: r.status };
  assert.equal(gw.upstream.requests.length, before + 1);
  const user = gw.upstream.requests.at(-1)?.headers['x-forwarded-user'];
  return user ? { status: 200, user } : { status: 200 };
}

function upstreamIdentity(gw: TestGateway): Record<string, string[] | undefined> {
  const r = gw.upstream.requests.at(-1);
  assert.ok(r);
  const out: Record<string, string[] | undefined> = {};
  for (const [name, values] of Object.entries(r.headers)) {
    if (/^x[-_.](user|forwarded)[-_.](verified|user|email|groups|device)$/i.test(name)) out[name] = values;
  }
  return out;
}

describe('attack: session fixation', () => {
  let gw: TestGateway;
  let secret: string;
  before(async () => {
    gw = await startTestGateway();
    ({ secret } = await gw.client().enrol(gw, 'alice', ALICE));
  });
  after(() => gw.close());

  it('an attacker’s own session planted in a victim’s browser is replaced at login and dies', async () => {
    const attacker = gw.client();
    await attacker.login('bob', BOB, '/members/');
    const planted = rawCookie(attacker);
    assert.deepEqual(await membersWith(gw, planted), { status: 200, user: ['bob'] });

    // The victim opens the login page; then the attacker's cookie is planted (say, by a sibling subdomain).
    const victim = gw.client();
    const page = await victim.get(`${gw.base}/login?next=%2Fmembers%2F`);
    assert.equal(page.status, 200);
    victim.cookies.set(COOKIE, planted);
    const r = await victim.post(`${gw.base}/login`, { username: 'alice', password: ALICE }, page.text);
    assert.equal(r.status, 303);
    const after = rawCookie(victim);
    assert.notEqual(idOf(after), idOf(planted));
    assert.equal(await inRedis(gw, planted), false, 'the pre-login id is gone from the store');
    // The planted cookie names nobody now — in particular not alice.
    assert.equal((await membersWith(gw, planted)).status, 303);
    assert.deepEqual(await membersWith(gw, after), { status: 200, user: ['alice'] });
  });

  it('changes the id again at verification; the unverified id stops working', async () => {
    const c = gw.client();
    await c.login('alice', ALICE, '/admin/');
    const unverifiedCookie = rawCookie(c);
    const page = await c.get(`${gw.base}/verify?next=%2Fadmin%2F`);
    gw.clock.nextStep();
    const r = await c.post(`${gw.base}/verify`, { code: gw.totp(secret) }, page.text);
    assert.equal(r.status, 303);
    const verifiedCookie = rawCookie(c);
    assert.notEqual(idOf(verifiedCookie), idOf(unverifiedCookie));
    assert.equal(await inRedis(gw, unverifiedCookie), false);
    assert.equal(await inRedis(gw, verifiedCookie), true);

    // Someone who learnt the pre-verification id gets nothing from it.
    const thief = gw.client();
    thief.cookies.set(COOKIE, unverifiedCookie);
    const stolen = await thief.get('/admin/');
    assert.equal(stolen.status, 303);
    assert.equal(stolen.location, `${gw.base}/login?next=%2Fadmin%2F`);
    assert.equal((await membersWith(gw, unverifiedCookie)).status, 303);
    assert.equal((await c.get('/admin/')).status, 200);
  });

  it('ignores an attacker-chosen cookie: unsigned, forged, or a real id with a wrong signature', async () => {
    const victim = gw.client();
    await victim.login('bob', BOB, '/members/');
    const real = rawCookie(victim);
    const id = idOf(real);
    const forged = [
      randomBytes(32).toString('base64url'),
      id,
      `${id}.${randomBytes(32).toString('base64').replace(/=+$/, '')}`,
      `${randomBytes(32).toString('base64url')}.${decodeURIComponent(real).split('.')[1] ?? ''}`,
    ];
    for (const cookie of forged) {
      const r = await membersWith(gw, encodeURIComponent(cookie));
      assert.equal(r.status, 303, `cookie ${cookie} must be anonymous`);
    }

    // Chosen before login: the login makes a fresh id and the chosen one never becomes a session.
    const chosen = randomBytes(32).toString('base64url');
    const c = gw.client();
    c.cookies.set(COOKIE, chosen);
    await c.login('bob', BOB, '/members/');
    assert.notEqual(idOf(rawCookie(c)), chosen);
    assert.equal(await gw.redis?.exists(`${gw.keyPrefix}session:${chosen}`), 0);
    assert.equal((await membersWith(gw, chosen)).status, 303);
  });

  it('keeps the session cookie away from the upstream', async () => {
    const c = gw.client();
    await c.login('bob', BOB, '/members/');
    const r = await c.request('GET', '/members/', { headers: { cookie: `app=1; ${COOKIE}=${rawCookie(c)}; other=2` } });
    assert.equal(r.status, 200);
    const cookie = gw.upstream.requests.at(-1)?.headers.cookie?.join('; ') ?? '';
    assert.ok(!cookie.includes(COOKIE), cookie);
    assert.match(cookie, /app=1/);
  });
});

describe('attack: cross-site request forgery', () => {
  let gw: TestGateway;
  let secret: string;
  before(async () => {
    gw = await startTestGateway();
    ({ secret } = await gw.client().enrol(gw, 'alice', ALICE));
  });
  after(() => gw.close());

  async function noSessionsFor(user: string): Promise<void> {
    assert.equal(await gw.redis?.scard(`${gw.keyPrefix}user:${user}:sessions`), 0, `no session was created for ${user}`);
  }

  it('refuses a login POST without a token, with another browser’s token, or from a foreign origin', async () => {
    const c = gw.client();
    const page = await c.get(`${gw.base}/login?next=%2Fmembers%2F`);
    const fields = { username: 'bob', password: BOB, next: '/members/' };

    const noToken = await c.post(`${gw.base}/login`, fields);
    assert.equal(noToken.status, 403);

    const other = gw.client();
    const otherPage = await other.get(`${gw.base}/login`);
    const withForeignToken = await c.post(`${gw.base}/login`, fields, otherPage.text);
    assert.equal(withForeignToken.status, 403, "another browser's token with this browser's cookie");

    const noCookie = gw.client();
    const tokenOnly = await noCookie.post(`${gw.base}/login`, fields, page.text);
    assert.equal(tokenOnly.status, 403, 'a token without its cookie');

    const evil = await c.post(`${gw.base}/login`, fields, page.text, { origin: 'https://evil.example' });
    assert.equal(evil.status, 403, 'a valid token from a foreign origin');
    const evilReferer = await c.post(`${gw.base}/login`, fields, page.text, { origin: '', referer: 'https://evil.example/x' });
    assert.ok([403].includes(evilReferer.status), 'an empty Origin is not our origin');

    for (const r of [noToken, withForeignToken, tokenOnly, evil, evilReferer]) {
      assert.equal(r.headers.getSetCookie().some((sc) => sc.startsWith(`${COOKIE}=`)), false);
    }
    await noSessionsFor('bob');

    // The same browser, same token, from our own origin: accepted.
    const ok = await c.post(`${gw.base}/login`, fields, page.text);
    assert.equal(ok.status, 303);
    assert.equal(ok.location, '/members/');
  });

  it('refuses /disable, /backup-codes, /forget-browsers and /logout without a valid token or from a foreign origin', async () => {
    const c = gw.client();
    await c.login('alice', ALICE, '/admin/');
    const page = await c.get(`${gw.base}/verify?next=%2Fadmin%2F`);
    gw.clock.nextStep();
    assert.equal((await c.post(`${gw.base}/verify`, { code: gw.totp(secret), remember: '1' }, page.text)).status, 303);
    const account = await c.get(`${gw.base}/account`);
    assert.equal(account.status, 200);
    const sessionCookie = rawCookie(c);
    const before = {
      backup: (await gw.redis?.smembers(`${gw.keyPrefix}user:alice:backup`))?.sort(),
      totp: await gw.redis?.get(`${gw.keyPrefix}user:alice:totp`),
      version: await gw.redis?.get(`${gw.keyPrefix}user:alice:devver`),
    };
    const otherPage = await gw.client().get(`${gw.base}/login`);
    const foreignToken = hiddenFields(otherPage.text)._csrf;
    assert.ok(foreignToken);

    gw.clock.nextStep();
    const code = gw.totp(secret);
    for (const path of ['/disable', '/backup-codes', '/forget-browsers', '/logout']) {
      const attempts: Reply[] = [
        await c.post(`${gw.base}${path}`, { code }),
        await c.post(`${gw.base}${path}`, { code, _csrf: foreignToken }),
        await c.post(`${gw.base}${path}`, { code }, account.text, { origin: 'https://evil.example' }),
        await c.post(`${gw.base}${path}`, { code }, account.text, { origin: 'null' }),
      ];
      for (const [i, r] of attempts.entries()) assert.equal(r.status, 403, `${path} attempt ${i}: ${r.status}`);
    }

    assert.deepEqual(
      {
        backup: (await gw.redis?.smembers(`${gw.keyPrefix}user:alice:backup`))?.sort(),
        totp: await gw.redis?.get(`${gw.keyPrefix}user:alice:totp`),
        version: await gw.redis?.get(`${gw.keyPrefix}user:alice:devver`),
      },
      before,
      'no device removed, no codes regenerated, no browser forgotten',
    );
    assert.equal(rawCookie(c), sessionCookie);
    assert.equal(await inRedis(gw, sessionCookie), true, 'not logged out');
    assert.equal((await c.get('/admin/')).status, 200);

    // The genuine form still works with the very same code.
    const disable = await c.post(`${gw.base}/disable`, { code }, account.text);
    assert.equal(disable.status, 303);
    assert.equal(await gw.redis?.exists(`${gw.keyPrefix}user:alice:totp`), 0);
  });
});

describe('attack: spoofed identity headers', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  const SPOOF: Record<string, string> = {
    'X-User-Verified': 'true',
    'x-forwarded-user': 'mallory',
    'X_Forwarded_User': 'mallory',
    'X.Forwarded.Email': 'mallory@evil.example',
    'X-Forwarded-Groups': 'staff,admin',
    'x_user_device': 'totp',
    'X-User-Device': 'backup',
    'X-Original-URL': '/admin/',
    'X-Rewrite-URL': '/admin/',
  };

  it('a verified session: the upstream sees the real user, once per header', async () => {
    const c = gw.client();
    await c.enrol(gw, 'alice', ALICE);
    const r = await c.get('/admin/', { ...SPOOF, 'X-User-Verified': 'false', 'X-Forwarded-User': 'bob' });
    assert.equal(r.status, 200);
    assert.deepEqual(upstreamIdentity(gw), {
      'x-user-verified': ['true'],
      'x-forwarded-user': ['alice'],
      'x-forwarded-email': ['alice@example.com'],
      'x-forwarded-groups': ['staff'],
      'x-user-device': ['totp'],
    });
    const received = gw.upstream.requests.at(-1);
    assert.equal(received?.headers['x-original-url'], undefined);
    assert.equal(received?.headers['x-rewrite-url'], undefined);
  });

  it('an unverified session and an anonymous client gain nothing from spoofed headers', async () => {
    const bob = gw.client();
    await bob.login('bob', BOB, '/members/');
    const staff = await bob.get('/staff/', SPOOF);
    assert.equal(staff.status, 403, 'spoofed groups do not pass a group rule');
    const admin = await bob.get('/admin/', SPOOF);
    assert.equal(admin.status, 303, 'a spoofed verified header does not pass an otp rule');
    assert.equal(admin.location, `${gw.base}/setup?next=%2Fadmin%2F`);

    const members = await bob.get('/members/', SPOOF);
    assert.equal(members.status, 200);
    assert.deepEqual(upstreamIdentity(gw), {
      'x-user-verified': ['false'],
      'x-forwarded-user': ['bob'],
      'x-forwarded-email': ['bob@example.com'],
    });

    const anon = gw.client();
    assert.equal((await anon.get('/members/', SPOOF)).status, 303);
    const home = await anon.get('/', SPOOF);
    assert.equal(home.status, 200);
    assert.deepEqual(upstreamIdentity(gw), { 'x-user-verified': ['false'] });
  });
});

describe('attack: reading the secret another browser is enrolling', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it('someone with only the password never sees the secret the real user scans, and cannot verify with it', async () => {
    // The attacker signs in with the password and opens /setup first.
    const attacker = gw.client();
    await attacker.login('bob', BOB, '/admin/');
    const attackerPage = await attacker.get(`${gw.base}/setup?next=%2Fadmin%2F`);
    const attackerSecret = secretFrom(attackerPage.text);

    // Bob enrols in his own browser.
    const victim = gw.client();
    const { secret } = await victim.enrol(gw, 'bob', BOB);
    assert.notEqual(secret, attackerSecret, 'each browser is shown its own secret');

    // The attacker's copy is worth nothing: not to confirm, not to verify.
    gw.clock.nextStep();
    const confirm = await attacker.post(`${gw.base}/setup`, { code: gw.totp(attackerSecret) }, attackerPage.text);
    assert.notEqual(confirm.status, 200);
    const again = gw.client();
    await again.login('bob', BOB, '/admin/');
    const page = await again.get(`${gw.base}/verify?next=%2Fadmin%2F`);
    const r = await again.post(`${gw.base}/verify`, { code: gw.totp(attackerSecret) }, page.text);
    assert.equal(r.status, 401);
    assert.equal((await again.get('/admin/')).status, 303);
  });
});

describe('attack: signing the real user out everywhere with the password alone', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it('a session that has not passed the second factor ends only itself', async () => {
    const alice = gw.client();
    await alice.enrol(gw, 'alice', ALICE);
    assert.equal((await alice.get('/admin/')).status, 200);

    for (const [path, fields] of [
      ['/logout-everywhere', {}],
      ['/logout', { scope: 'all' }],
    ] as const) {
      const attacker = gw.client();
      await attacker.login('alice', ALICE, '/admin/');
      const page = await attacker.get(`${gw.base}/verify?next=%2Fadmin%2F`);
      const r = await attacker.post(`${gw.base}${path}`, fields, page.text);
      assert.equal(r.status, 303, path);
      assert.equal((await attacker.get('/members/')).status, 303, `${path}: the attacker's own session ended`);
      assert.equal((await alice.get('/admin/')).status, 200, `${path}: alice's verified session lives on`);
    }

    // From alice's own verified session, "everywhere" means everywhere.
    const other = gw.client();
    await other.login('alice', ALICE, '/members/');
    const account = await alice.get(`${gw.base}/account`);
    assert.equal((await alice.post(`${gw.base}/logout-everywhere`, {}, account.text)).status, 303);
    assert.equal((await other.get('/members/')).status, 303);
  });
});
