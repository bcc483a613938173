// Brute force against passwords and codes: from the fourth failure the
// gateway makes the client wait (429 + Retry-After, a right answer refused
// too), ten failures lock the user out with a page saying when and a
// `user.locked_out` event, and one address's failures do not lock another
// user out from another address. Client addresses are simulated with
// X-Forwarded-For from a trusted proxy (the test itself, on loopback).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateTotpCode } from '../../src/otp/totp.ts';
import { startTestGateway, DEFAULT_USERS, type Client, type Reply, type TestGateway } from '../helpers/gateway.ts';
import { startReceiver, type Receiver } from '../webhooks/harness.ts';

const ALICE = (DEFAULT_USERS.alice as { password: string }).password;
const BOB = (DEFAULT_USERS.bob as { password: string }).password;
const ATTACKER = '198.51.100.66';
const ELSEWHERE = '203.0.113.20';

interface Tries {
  /** One attempt from `ip`; returns the reply. */
  (secretOrCode: string, ip: string): Promise<Reply>;
}

/** Posts a login form for `username` from `ip`, on a fresh page each time. */
function loginAs(gw: TestGateway, c: Client, username: string): Tries {
  return async (password, ip) => {
    const xff = { 'x-forwarded-for': ip };
    const page = await c.get(`${gw.base}/login?next=%2Fmembers%2F`, xff);
    return c.post(`${gw.base}/login`, { username, password }, page.text, xff);
  };
}

function verifyAs(gw: TestGateway, c: Client): Tries {
  return async (code, ip) => {
    const xff = { 'x-forwarded-for': ip };
    const page = await c.get(`${gw.base}/verify?next=%2Fadmin%2F`, xff);
    assert.equal(page.status, 200, `verify page: ${page.status}`);
    return c.post(`${gw.base}/verify`, { code }, page.text, xff);
  };
}

/** A six-digit code that no step inside the clock-skew window has, at the gateway's current time. */
function wrongCode(gw: TestGateway, secret: string): () => string {
  return () => {
    const now = gw.clock.now();
    const near = new Set([-30_000, 0, 30_000].map((d) => generateTotpCode(secret, gw.config.twoFactor.totp, now + d)));
    let code = 0;
    while (near.has(String(code).padStart(6, '0'))) code++;
    return String(code).padStart(6, '0');
  };
}

function retryAfter(r: Reply): number {
  const value = r.headers.get('retry-after');
  assert.ok(value && /^\d+$/.test(value), `Retry-After: ${value}`);
  return Number(value);
}

/**
 * Ten failures with `wrong`, checking the growing delays on the way: failure
 * n >= 3 makes the next attempt wait 2^(n-3) s, and during the wait even
 * `right()` is refused. Returns the reply to the tenth failure (the lock-out).
 */
async function failTenTimes(gw: TestGateway, attempt: Tries, wrong: () => string, right: () => string, ip: string): Promise<Reply> {
  let last: Reply | null = null;
  for (let n = 1; n <= 10; n++) {
    last = await attempt(wrong(), ip);
    if (n < 10) assert.equal(last.status, 401, `failure ${n}`);
    if (n >= 3 && n < 10) {
      const wait = 2 ** (n - 3);
      const early = await attempt(wrong(), ip);
      assert.equal(early.status, 429, `attempt during the wait after failure ${n}`);
      assert.equal(retryAfter(early), wait);
      assert.match(early.text, new RegExp(`Wait ${wait} seconds?`));
      const rightTooEarly = await attempt(right(), ip);
      assert.equal(rightTooEarly.status, 429, `a right answer during the wait after failure ${n}`);
      gw.clock.advance(wait * 1000);
    }
  }
  assert.ok(last);
  return last;
}

/** The lock-out answer: 429, Retry-After up to the 15-minute lock-out, and a page saying when. */
function lockedOutPage(r: Reply): void {
  assert.equal(r.status, 429);
  const seconds = retryAfter(r);
  assert.ok(seconds > 14 * 60 && seconds <= 15 * 60, `Retry-After ${seconds}`);
  const minutes = Math.ceil(seconds / 60);
  assert.match(r.text, new RegExp(`Try again in ${minutes} minutes?`));
}

async function lockedOutEvent(receiver: Receiver, username: string, ip: string, path: string): Promise<void> {
  for (let n = 1; ; n++) {
    const all = await receiver.waitFor(n);
    const body = JSON.parse((all[n - 1] as { body: string }).body) as { type: string; data: { user: { username: string }; request: { ip: string; path: string } } };
    if (body.type !== 'user.locked_out') continue;
    assert.equal(body.data.user.username, username);
    assert.equal(body.data.request.ip, ip);
    assert.equal(body.data.request.path, path);
    return;
  }
}

function gatewayOptions(receiver: Receiver): Parameters<typeof startTestGateway>[0] {
  return {
    config: {
      server: { listen: '127.0.0.1:0', trusted_proxies: ['127.0.0.1/32'] },
      webhooks: [{ url: receiver.url, secret: `whsec_${randomBytes(32).toString('base64')}`, events: ['user.locked_out'] }],
    },
  };
}

describe('attack: password brute force', () => {
  let gw: TestGateway;
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
    gw = await startTestGateway(gatewayOptions(receiver));
  });
  after(async () => {
    await gw.close();
    await receiver.close();
  });

  it('slows down from the fourth failure, locks out at ten, and emits user.locked_out', async () => {
    const c = gw.client();
    const attack = loginAs(gw, c, 'alice');
    let n = 0;
    const locked = await failTenTimes(gw, attack, () => `guess-${n++}`, () => ALICE, ATTACKER);
    lockedOutPage(locked);
    assert.equal(await gw.redis?.scard(`${gw.keyPrefix}user:alice:sessions`), 0, 'no session was created');
    await lockedOutEvent(receiver, 'alice', ATTACKER, '/members/');

    // During the lock-out the right password is refused from any address.
    for (const ip of [ATTACKER, ELSEWHERE]) {
      const r = await loginAs(gw, gw.client(), 'alice')(ALICE, ip);
      lockedOutPage(r);
    }
    // Another user from another address is not affected.
    const bob = gw.client();
    const r = await loginAs(gw, bob, 'bob')(BOB, ELSEWHERE);
    assert.equal(r.status, 303);
    assert.equal(r.location, '/members/');
    // From the attacker's address, other users are delayed, but not locked out.
    const fromAttacker = await loginAs(gw, gw.client(), 'bob')(BOB, ATTACKER);
    assert.equal(fromAttacker.status, 429);
    assert.ok(retryAfter(fromAttacker) < 15 * 60);
    assert.doesNotMatch(fromAttacker.text, /Try again in 15 minutes/);

    // After the lock-out, the right password works again.
    gw.clock.advance(15 * 60_000);
    const back = await loginAs(gw, gw.client(), 'alice')(ALICE, ELSEWHERE);
    assert.equal(back.status, 303);
    assert.equal(back.location, '/members/');
  });

  it('one address delaying does not lock out another user from another address; a success resets the user', async () => {
    const c = gw.client();
    const ip = '198.51.100.77';
    const attack = loginAs(gw, c, 'bob');
    for (let n = 1; n <= 3; n++) assert.equal((await attack(`nope-${n}`, ip)).status, 401);
    assert.equal((await attack(BOB, ip)).status, 429);
    // Alice from elsewhere: untouched.
    const alice = await loginAs(gw, gw.client(), 'alice')(ALICE, '203.0.113.99');
    assert.equal(alice.status, 303);
    // Bob himself from another address: the per-user delay applies (1 s), then he gets in, which clears his count.
    assert.equal((await loginAs(gw, gw.client(), 'bob')(BOB, '203.0.113.98')).status, 429);
    gw.clock.advance(1000);
    assert.equal((await loginAs(gw, gw.client(), 'bob')(BOB, '203.0.113.98')).status, 303);
    // Bob's counter starts again from zero: three more failures before a delay.
    for (let n = 1; n <= 3; n++) assert.equal((await loginAs(gw, gw.client(), 'bob')(`again-${n}`, '203.0.113.97')).status, 401);
    assert.equal((await loginAs(gw, gw.client(), 'bob')(BOB, '203.0.113.97')).status, 429);
  });
});

describe('attack: code brute force on /verify', () => {
  let gw: TestGateway;
  let receiver: Receiver;
  let secret: string;
  let bobCodes: string[];
  before(async () => {
    receiver = await startReceiver();
    gw = await startTestGateway(gatewayOptions(receiver));
    ({ secret } = await gw.client().enrol(gw, 'alice', ALICE));
    gw.clock.nextStep();
    ({ backupCodes: bobCodes } = await gw.client().enrol(gw, 'bob', BOB));
  });
  after(async () => {
    await gw.close();
    await receiver.close();
  });

  it('wrong codes: delays from the fourth, lock-out at ten with user.locked_out; another user elsewhere is fine', async () => {
    const c = gw.client();
    assert.equal((await loginAs(gw, c, 'alice')(ALICE, ATTACKER)).status, 303);
    const attack = verifyAs(gw, c);
    const wrong = wrongCode(gw, secret);
    // The current code, never used (alice's last accepted step is older): refused only by the throttle.
    const right = (): string => gw.totp(secret);
    const locked = await failTenTimes(gw, attack, wrong, right, ATTACKER);
    lockedOutPage(locked);
    await lockedOutEvent(receiver, 'alice', ATTACKER, '/admin/');
    // Still not verified, and the right code is refused during the lock-out.
    assert.equal((await c.get('/admin/', { 'x-forwarded-for': ATTACKER })).status, 303);
    gw.clock.nextStep();
    lockedOutPage(await attack(gw.totp(secret), ATTACKER));
    assert.equal((await c.get('/admin/', { 'x-forwarded-for': ATTACKER })).status, 303);

    // Bob, from another address, verifies as usual.
    const bob = gw.client();
    assert.equal((await loginAs(gw, bob, 'bob')(BOB, ELSEWHERE)).status, 303);
    const ok = await verifyAs(gw, bob)(bobCodes[0] as string, ELSEWHERE);
    assert.equal(ok.status, 303);
    assert.equal(ok.location, '/admin/');
    assert.equal((await bob.get('/admin/', { 'x-forwarded-for': ELSEWHERE })).status, 200);
    assert.deepEqual(gw.upstream.requests.at(-1)?.headers['x-forwarded-user'], ['bob']);
  });
});

describe('attack: signing in again between code guesses', () => {
  let gw: TestGateway;
  let receiver: Receiver;
  let secret: string;
  before(async () => {
    receiver = await startReceiver();
    gw = await startTestGateway(gatewayOptions(receiver));
    ({ secret } = await gw.client().enrol(gw, 'alice', ALICE));
  });
  after(async () => {
    await gw.close();
    await receiver.close();
  });

  it('does not wipe the failed codes: someone who knows the password still meets the delays and the lock-out', async () => {
    const wrong = wrongCode(gw, secret);
    // Every guess from a fresh browser and a fresh address, after a right password.
    const guess = async (n: number): Promise<Reply> => {
      const ip = `198.51.100.${100 + n}`;
      const c = gw.client();
      const login = await loginAs(gw, c, 'alice')(ALICE, ip);
      assert.equal(login.status, 303, `the password still works before guess ${n}`);
      return verifyAs(gw, c)(wrong(), ip);
    };
    for (let n = 1; n <= 3; n++) assert.equal((await guess(n)).status, 401, `guess ${n}`);
    const early = await guess(4);
    assert.equal(early.status, 429, 'the fourth guess waits, whatever password sign-ins came between');
    assert.equal(retryAfter(early), 1);
    let last: Reply = early;
    for (let n = 4; n <= 10; n++) {
      gw.clock.advance(2 ** (n - 4) * 1000);
      last = await guess(n);
      if (n < 10) assert.equal(last.status, 401, `guess ${n}`);
    }
    lockedOutPage(last);
    await lockedOutEvent(receiver, 'alice', '198.51.100.110', '/admin/');
  });
});
