import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { throttleAddress } from '../../src/auth/client-address.ts';
import { Throttle, type ThrottleSubject } from '../../src/auth/throttle.ts';
import type { ThrottleConfig } from '../../src/config/types.ts';
import { manualClock, STORE_KINDS, type StoreUnderTest } from './stores.ts';

const MINUTE = 60_000;
const CFG: ThrottleConfig = { freeFailures: 3, lockoutFailures: 10, windowMs: 15 * MINUTE, lockoutMs: 15 * MINUTE };

describe('throttleAddress', () => {
  test('IPv4 as is, IPv4-mapped as IPv4, IPv6 by /64', () => {
    assert.equal(throttleAddress('203.0.113.9'), '203.0.113.9');
    assert.equal(throttleAddress('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(throttleAddress('::ffff:cb00:7109'), '203.0.113.9');
    assert.equal(throttleAddress('2001:db8::1'), throttleAddress('2001:DB8:0:0:ffff:1:2:3'));
    assert.equal(throttleAddress('2001:db8::1'), '2001:db8:0:0::/64');
    assert.notEqual(throttleAddress('2001:db8:0:1::1'), throttleAddress('2001:db8::1'));
    assert.equal(throttleAddress('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });
});

for (const kind of STORE_KINDS) {
  describe(`Throttle on ${kind.name}`, () => {
    const clock = manualClock();
    let env: StoreUnderTest;
    let throttle: Throttle;
    let n = 0;
    // Each test uses its own user and addresses so they do not share counters.
    const fresh = (): { user: string; ip: (i?: number) => string } => {
      n++;
      return { user: `user${n}`, ip: (i = 0) => `198.51.${n}.${i}` };
    };

    before(async () => {
      env = await kind.open(clock.now);
      throttle = new Throttle(env.store, CFG, clock.now);
    });
    after(async () => {
      await env.dispose();
    });

    /** One wrong answer, waiting first if the throttle asks for it (as a patient attacker would). */
    async function failAfterWaiting(who: ThrottleSubject): Promise<{ waited: number; lockedOutNow: boolean }> {
      let waited = 0;
      const verdict = await throttle.check(who);
      if (!verdict.ok) {
        assert.equal(verdict.lockedOut, false);
        waited = verdict.retryAfterMs;
        clock.advance(waited);
        assert.deepEqual(await throttle.check(who), { ok: true });
      }
      return { waited, ...(await throttle.recordFailure(who)) };
    }

    test('delays of 1, 2, 4, 8 s follow the third, fourth, fifth, sixth failure', async () => {
      const { user, ip } = fresh();
      const who = { username: user, ip: ip() };
      const waits: number[] = [];
      for (let i = 0; i < 7; i++) waits.push((await failAfterWaiting(who)).waited);
      assert.deepEqual(waits, [0, 0, 0, 1000, 2000, 4000, 8000]);
      const verdict = await throttle.check(who);
      assert.deepEqual(verdict, { ok: false, retryAfterMs: 16_000, lockedOut: false });
    });

    test('during the wait even a right answer is not checked', async () => {
      const { user, ip } = fresh();
      const who = { username: user, ip: ip() };
      for (let i = 0; i < 3; i++) await failAfterWaiting(who);
      // The caller checks the throttle before the password or code, so a
      // right answer sent now never reaches verification.
      clock.advance(999);
      assert.deepEqual(await throttle.check(who), { ok: false, retryAfterMs: 1, lockedOut: false });
      clock.advance(1);
      assert.deepEqual(await throttle.check(who), { ok: true });
      await throttle.recordSuccess(who);
    });

    test('the tenth failure locks the user out, reported exactly once', async () => {
      const { user, ip } = fresh();
      const who = { username: user, ip: ip() };
      const starts: boolean[] = [];
      for (let i = 0; i < 10; i++) starts.push((await failAfterWaiting(who)).lockedOutNow);
      assert.deepEqual(starts, [false, false, false, false, false, false, false, false, false, true]);

      const locked = await throttle.check(who);
      assert.deepEqual(locked, { ok: false, retryAfterMs: CFG.lockoutMs, lockedOut: true });
      // From another address too: the lock is on the user.
      assert.deepEqual(await throttle.check({ username: user, ip: ip(7) }), locked);
      // A failure recorded during the lock (a caller that did not check) does not report a new lock.
      assert.deepEqual(await throttle.recordFailure({ username: user, ip: ip(8) }), { lockedOutNow: false });

      clock.advance(CFG.lockoutMs);
      assert.deepEqual(await throttle.check({ username: user, ip: ip(9) }), { ok: true });
      await throttle.recordSuccess({ username: user, ip: ip(9) });
    });

    test('a success resets the user counters', async () => {
      const { user, ip } = fresh();
      const who = { username: user, ip: ip() };
      // Failures spread over addresses, so only the user counter grows.
      for (let i = 0; i < 5; i++) await failAfterWaiting({ username: user, ip: ip(i) });
      const verdict = await throttle.check(who);
      assert.equal(verdict.ok, false);
      clock.advance(verdict.ok ? 0 : verdict.retryAfterMs);
      assert.deepEqual(await throttle.check(who), { ok: true });
      await throttle.recordSuccess(who);
      // Counting starts again: two free failures, then 1 s.
      const waits: number[] = [];
      for (let i = 0; i < 4; i++) waits.push((await failAfterWaiting({ username: user, ip: ip(10 + i) })).waited);
      assert.deepEqual(waits, [0, 0, 0, 1000]);
    });

    test('failures from one address across many users delay the address but lock nobody', async () => {
      const { user, ip } = fresh();
      const attacker = ip(1);
      const waits: number[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await failAfterWaiting({ username: `${user}-victim${i}`, ip: attacker });
        assert.equal(r.lockedOutNow, false);
        waits.push(r.waited);
      }
      assert.deepEqual(waits, [0, 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000]);
      // The address waits now...
      const verdict = await throttle.check({ username: `${user}-victim0`, ip: attacker });
      assert.deepEqual(verdict, { ok: false, retryAfterMs: 512_000, lockedOut: false });
      // ...but every victim can still log in from elsewhere at once.
      for (let i = 0; i < 12; i++) {
        const who = { username: `${user}-victim${i}`, ip: ip(2) };
        assert.deepEqual(await throttle.check(who), { ok: true });
        await throttle.recordSuccess(who);
      }
    });

    test('a delay never exceeds the lock-out time', async () => {
      const { user, ip } = fresh();
      const shortLock = new Throttle(env.store, { ...CFG, windowMs: 60 * MINUTE, lockoutMs: MINUTE }, clock.now);
      const attacker = ip(1);
      for (let i = 0; i < 9; i++) {
        const who = { username: `${user}-v${i}`, ip: attacker };
        const verdict = await shortLock.check(who);
        if (!verdict.ok) {
          clock.advance(verdict.retryAfterMs);
          assert.deepEqual(await shortLock.check(who), { ok: true });
        }
        await shortLock.recordFailure(who);
      }
      // 2^(9-3) s = 64 s, capped at the 60 s lock-out.
      const verdict = await shortLock.check({ username: `${user}-v0`, ip: attacker });
      assert.deepEqual(verdict, { ok: false, retryAfterMs: MINUTE, lockedOut: false });
    });

    test('addresses in one IPv6 /64 share a counter', async () => {
      const { user } = fresh();
      const net = `2001:db8:${n}:1`;
      for (let i = 1; i <= 3; i++) await throttle.recordFailure({ username: `${user}-${i}`, ip: `${net}::${i}` });
      const verdict = await throttle.check({ username: `${user}-9`, ip: `${net}:ffff::42` });
      assert.deepEqual(verdict, { ok: false, retryAfterMs: 1000, lockedOut: false });
    });

    test('attempts for one user are checked one at a time', async () => {
      const { user, ip } = fresh();
      const burst = await Promise.all(
        Array.from({ length: 8 }, (_, i) => throttle.check({ username: user, ip: ip(i) })),
      );
      assert.equal(burst.filter((v) => v.ok).length, 1);
      for (const v of burst) if (!v.ok) assert.equal(v.lockedOut, false);
      const winner = burst.findIndex((v) => v.ok);
      // Until the first attempt is answered, the user is busy...
      assert.equal((await throttle.check({ username: user, ip: ip(20) })).ok, false);
      await throttle.recordFailure({ username: user, ip: ip(winner) });
      // ...then the next one may go; release() frees a check that was not used.
      assert.deepEqual(await throttle.check({ username: user, ip: ip(21) }), { ok: true });
      await throttle.release({ username: user, ip: ip(21) });
      assert.deepEqual(await throttle.check({ username: user, ip: ip(22) }), { ok: true });
      await throttle.recordSuccess({ username: user, ip: ip(22) });
    });

    test('odd usernames are throttled like any other', async () => {
      const { ip } = fresh();
      const odd = `${'ü'.repeat(300)} :*\r\n`;
      for (let i = 0; i < 3; i++) await failAfterWaiting({ username: odd, ip: ip(i) });
      assert.deepEqual(await throttle.check({ username: odd, ip: ip(9) }), {
        ok: false,
        retryAfterMs: 1000,
        lockedOut: false,
      });
      if (env.raw) {
        const keys = await env.raw.keys(`${env.prefix}throttle:u:*`);
        assert.ok(keys.every((k) => /^[\x21-\x7e]+$/.test(k) && k.length < 100), keys.join(' '));
      }
    });

    test('without a username only the address is throttled', async () => {
      const { ip } = fresh();
      const who = { ip: ip(1) };
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) waits.push((await failAfterWaiting(who)).waited);
      assert.deepEqual(waits, [0, 0, 0, 1000, 2000]);
    });
  });
}
