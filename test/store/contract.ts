// The behaviour every Store implementation must share, registered as tests
// for one implementation at a time (see memory.test.ts, redis.test.ts,
// redis-cluster.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../src/store/types.ts';
import { StoreUnavailableError } from '../../src/store/types.ts';

export interface ContractSubject {
  /** The store under test. */
  store: Store;
  /** A second store on the same data, as a second gateway instance would have (may be `store` itself). */
  peer: Store;
  /** Moves the store's clock forward, or null when the store runs on real time. */
  advance: ((ms: number) => void) | null;
  /** A separate store the test may close. */
  openSpare(): Promise<Store>;
  dispose(): Promise<void>;
}

const PARALLEL = 50;
/** A millisecond timestamp with 13 significant digits: scores must survive exactly. */
const T0 = 1_764_780_000_123;

export interface ContractOptions {
  /** The subject's `advance` moves the store's clock, so expiry itself is tested (not only ttl() values). */
  movableClock: boolean;
}

export function storeContract(name: string, options: ContractOptions, open: () => Promise<ContractSubject>): void {
  describe(`Store contract: ${name}`, () => {
    let s: ContractSubject;
    let seq = 0;
    /** A key no other test uses. */
    const key = (label: string) => `${label}:${++seq}`;

    before(async () => {
      s = await open();
    });
    after(async () => {
      await s.dispose();
    });

    describe('strings', () => {
      test('get returns null for a missing key and the value after set', async () => {
        const k = key('str');
        assert.equal(await s.store.get(k), null);
        await s.store.set(k, 'v1');
        assert.equal(await s.store.get(k), 'v1');
        await s.store.set(k, 'v2');
        assert.equal(await s.peer.get(k), 'v2');
      });

      test('values round-trip unchanged, including unicode and empty strings', async () => {
        const k1 = key('str');
        const k2 = key('str');
        await s.store.set(k1, 'grüße ✓ {"a":[1,2]}\n');
        await s.store.set(k2, '');
        assert.equal(await s.store.get(k1), 'grüße ✓ {"a":[1,2]}\n');
        assert.equal(await s.store.get(k2), '');
      });

      test('del removes every key given and ignores missing ones', async () => {
        const [a, b, c] = [key('del'), key('del'), key('del')];
        await s.store.set(a, '1');
        await s.store.set(b, '2');
        await s.store.sadd(c, ['m']);
        await s.store.del(a, b, c, key('missing'));
        assert.equal(await s.store.get(a), null);
        assert.equal(await s.store.get(b), null);
        assert.equal(await s.store.scard(c), 0);
        await s.store.del();
      });

      test('ttl is -2 for a missing key, -1 without expiry, else the remaining ms', async () => {
        const k = key('ttl');
        assert.equal(await s.store.ttl(k), -2);
        await s.store.set(k, 'v');
        assert.equal(await s.store.ttl(k), -1);
        await s.store.set(k, 'v', 100_000);
        const left = await s.store.ttl(k);
        assert.ok(left > 90_000 && left <= 100_000, `ttl ${left}`);
        await s.store.set(k, 'v', 0);
        assert.equal(await s.store.ttl(k), -1, 'a set without ttl clears the old expiry');
      });

      test('setIfPresent sets only an existing key', async () => {
        const k = key('sip');
        assert.equal(await s.store.setIfPresent(k, 'first', 100_000), false);
        assert.equal(await s.store.get(k), null);
        await s.store.set(k, 'old');
        assert.equal(await s.store.setIfPresent(k, 'new', 100_000), true);
        assert.equal(await s.store.get(k), 'new');
        assert.ok((await s.store.ttl(k)) > 0);
      });

      test('setIfAbsent sets only a missing key', async () => {
        const k = key('nx');
        assert.equal(await s.store.setIfAbsent(k, 'first', 100_000), true);
        assert.equal(await s.store.setIfAbsent(k, 'second', 100_000), false);
        assert.equal(await s.store.get(k), 'first');
        const left = await s.store.ttl(k);
        assert.ok(left > 90_000 && left <= 100_000, `ttl ${left}`);
        const k2 = key('nx');
        assert.equal(await s.store.setIfAbsent(k2, 'forever'), true);
        assert.equal(await s.store.ttl(k2), -1);
      });

      test(`setIfAbsent: of ${PARALLEL} parallel callers on two instances exactly one wins`, async () => {
        const k = key('nx-race');
        const results = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) => (i % 2 ? s.peer : s.store).setIfAbsent(k, `caller-${i}`, 100_000)),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal(await s.store.get(k), `caller-${results.indexOf(true)}`);
      });
    });

    describe('incr', () => {
      test('counts from 1 and sets the ttl when it creates the counter', async () => {
        const k = key('incr');
        assert.equal(await s.store.incr(k, 100_000), 1);
        assert.equal(await s.store.incr(k, 100_000), 2);
        assert.equal(await s.store.incr(k, 100_000), 3);
        assert.equal(await s.store.get(k), '3');
        const left = await s.store.ttl(k);
        assert.ok(left > 90_000 && left <= 100_000, `ttl ${left}`);
      });

      test('a later incr does not extend the expiry', async () => {
        const k = key('incr');
        await s.store.incr(k, 100_000);
        await s.store.incr(k, 900_000);
        const left = await s.store.ttl(k);
        assert.ok(left > 0 && left <= 100_000, `ttl ${left} was extended`);
      });

      test(`${PARALLEL} parallel increments each get a distinct count`, async () => {
        const k = key('incr-race');
        const counts = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) => (i % 2 ? s.peer : s.store).incr(k, 100_000)),
        );
        assert.deepEqual(
          [...counts].sort((a, b) => a - b),
          Array.from({ length: PARALLEL }, (_, i) => i + 1),
        );
      });
    });

    describe('raiseTo', () => {
      test('stores only a greater number', async () => {
        const k = key('raise');
        assert.equal(await s.store.raiseTo(k, 100), true, 'nothing stored yet');
        assert.equal(await s.store.raiseTo(k, 100), false, 'equal is not greater');
        assert.equal(await s.store.raiseTo(k, 99), false);
        assert.equal(await s.store.raiseTo(k, -5), false);
        assert.equal(await s.store.get(k), '100');
        assert.equal(await s.store.raiseTo(k, 101), true);
        assert.equal(await s.store.get(k), '101');
      });

      test('keeps large numbers exactly and compares them numerically, not as text', async () => {
        const k = key('raise');
        assert.equal(await s.store.raiseTo(k, 9), true);
        assert.equal(await s.store.raiseTo(k, 10), true, '"10" < "9" as text, 10 > 9 as numbers');
        assert.equal(await s.store.raiseTo(k, T0), true);
        assert.equal(await s.store.get(k), String(T0));
        assert.equal(await s.store.raiseTo(k, T0 - 1), false);
        assert.equal(await s.store.raiseTo(k, T0 + 1), true);
      });

      test('sets the ttl when given', async () => {
        const k = key('raise');
        await s.store.raiseTo(k, 1, 100_000);
        const left = await s.store.ttl(k);
        assert.ok(left > 90_000 && left <= 100_000, `ttl ${left}`);
      });

      test('never overwrites a stored value that is not a number', async () => {
        const k = key('raise');
        await s.store.set(k, 'not-a-number');
        assert.equal(await s.store.raiseTo(k, 1e9), false);
        assert.equal(await s.store.get(k), 'not-a-number');
      });

      test('refuses NaN and infinities', async () => {
        const k = key('raise');
        await assert.rejects(s.store.raiseTo(k, Number.NaN), RangeError);
        await assert.rejects(s.store.raiseTo(k, Number.POSITIVE_INFINITY), RangeError);
        assert.equal(await s.store.get(k), null);
      });

      test(`of ${PARALLEL} parallel raises to the same value on two instances exactly one is stored`, async () => {
        const k = key('raise-race');
        await s.store.raiseTo(k, 10);
        const results = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) => (i % 2 ? s.peer : s.store).raiseTo(k, 11)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      });
    });

    describe('sets', () => {
      test('sadd, smembers, scard and srem', async () => {
        const k = key('set');
        assert.deepEqual(await s.store.smembers(k), []);
        assert.equal(await s.store.scard(k), 0);
        await s.store.sadd(k, ['a', 'b']);
        await s.store.sadd(k, ['b', 'c']);
        await s.store.sadd(k, []);
        assert.deepEqual((await s.store.smembers(k)).sort(), ['a', 'b', 'c']);
        assert.equal(await s.store.scard(k), 3);
        assert.equal(await s.store.srem(k, 'b'), true);
        assert.equal(await s.store.srem(k, 'b'), false, 'already removed');
        assert.equal(await s.store.srem(k, 'zzz'), false, 'never a member');
        assert.deepEqual((await s.store.smembers(k)).sort(), ['a', 'c']);
      });

      test('removing the last member removes the key', async () => {
        const k = key('set');
        await s.store.sadd(k, ['only']);
        assert.equal(await s.store.srem(k, 'only'), true);
        assert.equal(await s.store.ttl(k), -2);
        assert.equal(await s.store.srem(key('set'), 'x'), false, 'srem on a missing key');
      });

      test(`srem: of ${PARALLEL} parallel removals of one member on two instances exactly one is true`, async () => {
        const k = key('srem-race');
        await s.store.sadd(k, ['code-1', 'code-2']);
        const results = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) => (i % 2 ? s.peer : s.store).srem(k, 'code-1')),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.deepEqual(await s.store.smembers(k), ['code-2']);
      });
    });

    describe('sorted sets', () => {
      test('zrange lists members lowest score first, up to the limit', async () => {
        const k = key('z');
        await s.store.zadd(k, 30, 'c');
        await s.store.zadd(k, 10, 'a');
        await s.store.zadd(k, 20, 'b');
        assert.deepEqual(await s.store.zrange(k, 10), [
          { member: 'a', score: 10 },
          { member: 'b', score: 20 },
          { member: 'c', score: 30 },
        ]);
        assert.deepEqual(await s.store.zrange(k, 2), [
          { member: 'a', score: 10 },
          { member: 'b', score: 20 },
        ]);
        assert.deepEqual(await s.store.zrange(k, 0), []);
        assert.deepEqual(await s.store.zrange(key('z'), 5), [], 'missing key');
      });

      test('zadd moves an existing member; equal scores are ordered by member', async () => {
        const k = key('z');
        await s.store.zadd(k, 5, 'y');
        await s.store.zadd(k, 5, 'x');
        await s.store.zadd(k, 1, 'w');
        await s.store.zadd(k, 9, 'w');
        assert.deepEqual(await s.store.zrange(k, 10), [
          { member: 'x', score: 5 },
          { member: 'y', score: 5 },
          { member: 'w', score: 9 },
        ]);
      });

      test('scores keep millisecond timestamps and fractions exactly', async () => {
        const k = key('z');
        await s.store.zadd(k, T0, 'ts');
        await s.store.zadd(k, -2.5, 'neg');
        assert.deepEqual(await s.store.zrange(k, 5), [
          { member: 'neg', score: -2.5 },
          { member: 'ts', score: T0 },
        ]);
      });

      test('zrem is true only when it removed the member', async () => {
        const k = key('z');
        await s.store.zadd(k, 1, 'a');
        assert.equal(await s.store.zrem(k, 'a'), true);
        assert.equal(await s.store.zrem(k, 'a'), false);
        assert.equal(await s.store.ttl(k), -2, 'an emptied sorted set is gone');
      });
    });

    describe('claimDue', () => {
      test('claims due members oldest first, up to the limit, and leases them', async () => {
        const k = key('q');
        await s.store.zadd(k, T0 - 300, 'old');
        await s.store.zadd(k, T0 - 100, 'newer');
        await s.store.zadd(k, T0, 'due-now');
        await s.store.zadd(k, T0 + 1, 'future');
        assert.deepEqual(await s.store.claimDue(k, T0, 60_000, 2), ['old', 'newer']);
        assert.deepEqual(await s.store.claimDue(k, T0, 60_000, 10), ['due-now']);
        assert.deepEqual(await s.store.zrange(k, 10), [
          { member: 'future', score: T0 + 1 },
          { member: 'newer', score: T0 + 60_000 },
          { member: 'old', score: T0 + 60_000 },
          { member: 'due-now', score: T0 + 60_000 },
        ].sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : 1)));
      });

      test('a claimed member is not claimed again within its lease, and is after it', async () => {
        const k = key('q');
        await s.store.zadd(k, T0, 'job');
        assert.deepEqual(await s.store.claimDue(k, T0, 5_000, 10), ['job']);
        assert.deepEqual(await s.peer.claimDue(k, T0 + 4_999, 5_000, 10), [], 'still leased');
        assert.deepEqual(await s.peer.claimDue(k, T0 + 5_000, 5_000, 10), ['job'], 'lease over: claimed again');
        assert.equal(await s.store.zrem(k, 'job'), true, 'done');
        assert.deepEqual(await s.store.claimDue(k, T0 + 60_000, 5_000, 10), [], 'removed members never come back');
      });

      test('claims nothing from a missing key or with limit 0', async () => {
        const k = key('q');
        assert.deepEqual(await s.store.claimDue(k, T0, 1_000, 10), []);
        await s.store.zadd(k, 1, 'a');
        assert.deepEqual(await s.store.claimDue(k, T0, 1_000, 0), []);
      });

      test('two instances claiming in parallel never get the same member within a lease', async () => {
        const k = key('q-race');
        const members = Array.from({ length: 60 }, (_, i) => `job-${i}`);
        for (const [i, m] of members.entries()) await s.store.zadd(k, T0 - i, m);
        const rounds = await Promise.all(
          Array.from({ length: 16 }, (_, i) => (i % 2 ? s.peer : s.store).claimDue(k, T0, 60_000, 5)),
        );
        const claimed = rounds.flat();
        assert.equal(new Set(claimed).size, claimed.length, 'a member was claimed twice');
        assert.equal(claimed.length, members.length, 'every due member is claimed once');
      });
    });

    test('an operation on a key of another type rejects with StoreUnavailableError', async () => {
      const k = key('type');
      await s.store.sadd(k, ['m']);
      await assert.rejects(s.store.get(k), StoreUnavailableError);
      await assert.rejects(s.store.zadd(k, 1, 'x'), StoreUnavailableError);
      await assert.rejects(s.store.incr(k, 1_000), StoreUnavailableError);
      assert.deepEqual(await s.store.smembers(k), ['m']);
    });

    test('ping resolves', async () => {
      await s.store.ping();
    });

    test('after close every call rejects with StoreUnavailableError', async () => {
      const spare = await s.openSpare();
      await spare.set(key('spare'), 'v');
      await spare.close();
      await assert.rejects(spare.get('x'), StoreUnavailableError);
      await assert.rejects(spare.ping(), StoreUnavailableError);
      await spare.close();
    });

    // Only for stores whose clock the test can move (memory); for Redis the
    // ttl() values above are checked instead of waiting for real time to pass.
    if (options.movableClock) {
      describe('expiry on the store clock', () => {
        const move = (ms: number) => {
          assert.ok(s.advance, 'the subject moves its clock');
          s.advance(ms);
        };

        test('keys expire after their ttl, whatever their type', async () => {
          const [str, set, counter, raised] = [key('exp'), key('exp'), key('exp'), key('exp')];
          await s.store.set(str, 'v', 1_000);
          await s.store.sadd(set, ['m']);
          await s.store.incr(counter, 1_000);
          await s.store.raiseTo(raised, 5, 1_000);
          move(999);
          assert.equal(await s.store.get(str), 'v');
          assert.equal(await s.store.ttl(str), 1);
          move(1);
          assert.equal(await s.store.get(str), null);
          assert.equal(await s.store.ttl(str), -2);
          assert.equal(await s.store.incr(counter, 1_000), 1, 'an expired counter starts again');
          assert.equal(await s.store.raiseTo(raised, 1), true, 'an expired high-water mark is gone');
          assert.equal(await s.store.setIfAbsent(str, 'again'), true);
          assert.deepEqual(await s.store.smembers(set), ['m'], 'keys without ttl stay');
        });

        test('incr keeps the expiry the counter was created with', async () => {
          const k = key('exp');
          await s.store.incr(k, 1_000);
          move(600);
          assert.equal(await s.store.incr(k, 1_000), 2);
          assert.equal(await s.store.ttl(k), 400);
          move(400);
          assert.equal(await s.store.get(k), null);
        });
      });
    }
  });
}
