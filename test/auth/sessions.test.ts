import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isSessionId, Sessions } from '../../src/auth/sessions.ts';
import type { Store } from '../../src/store/types.ts';
import { manualClock, STORE_KINDS, type StoreUnderTest } from './stores.ts';

const MINUTE = 60_000;
const IDLE = 30 * MINUTE;
const MAX_AGE = 12 * 60 * MINUTE;
const INIT = { username: 'alice', hasDevice: true, ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (test)' };

/** Wraps a store so a test can see which methods a piece of code called. */
function countingStore(store: Store): { store: Store; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

for (const kind of STORE_KINDS) {
  describe(`Sessions on ${kind.name}`, () => {
    const clock = manualClock();
    let env: StoreUnderTest;
    let sessions: Sessions;

    before(async () => {
      env = await kind.open(clock.now);
      sessions = new Sessions(env.store, { idleTimeoutMs: IDLE, maxAgeMs: MAX_AGE }, clock.now);
    });
    after(async () => {
      await env.dispose();
    });

    test('create then get returns the same session under a 43-character random id', async () => {
      const created = await sessions.create(INIT);
      assert.ok(isSessionId(created.id));
      assert.equal(created.id.length, 43);
      assert.deepEqual(
        { ...created, id: '' },
        {
          id: '',
          username: 'alice',
          verified: false,
          device: null,
          hasDevice: true,
          createdAt: clock.now(),
          lastSeenAt: clock.now(),
          verifiedAt: null,
          ip: '203.0.113.9',
          userAgent: 'Mozilla/5.0 (test)',
        },
      );
      assert.deepEqual(await sessions.get(created.id), created);
      const other = await sessions.create({ ...INIT, verified: true, device: 'remembered' });
      assert.notEqual(other.id, created.id);
      assert.equal(other.verified, true);
      assert.equal(other.verifiedAt, clock.now());
      assert.equal((await sessions.get(other.id))?.device, 'remembered');
    });

    test('ids of the wrong shape are refused without asking the store', async () => {
      const { store, calls } = countingStore(env.store);
      const probe = new Sessions(store, { idleTimeoutMs: IDLE, maxAgeMs: MAX_AGE }, clock.now);
      for (const id of ['', 'short', 'x'.repeat(44), `${'a'.repeat(42)}!`, `${'a'.repeat(42)}:`, '../'.repeat(15)]) {
        assert.equal(await probe.get(id), null);
      }
      assert.deepEqual(calls, []);
      assert.equal(await probe.get('A'.repeat(43)), null); // right shape, unknown
      assert.deepEqual(calls, ['get']);
    });

    test('a read is one store call; the idle expiry is pushed at most once a minute', async () => {
      const created = await sessions.create(INIT);
      const { store, calls } = countingStore(env.store);
      const reader = new Sessions(store, { idleTimeoutMs: IDLE, maxAgeMs: MAX_AGE }, clock.now);
      for (let i = 0; i < 5; i++) {
        clock.advance(10_000);
        assert.equal((await reader.get(created.id))?.lastSeenAt, created.lastSeenAt);
      }
      assert.deepEqual(calls, ['get', 'get', 'get', 'get', 'get']);
      clock.advance(10_000); // a minute since the last push
      assert.equal((await reader.get(created.id))?.lastSeenAt, clock.now());
      assert.equal(calls.length, 7);
      assert.equal(calls.at(-2), 'get');
      assert.match(calls.at(-1) ?? '', /^set/);
    });

    test('idle timeout: activity keeps a session alive, silence ends it', async () => {
      const created = await sessions.create(INIT);
      for (let i = 0; i < 4; i++) {
        clock.advance(IDLE - 1);
        assert.ok(await sessions.get(created.id), `alive after active period ${i}`);
      }
      clock.advance(IDLE);
      assert.equal(await sessions.get(created.id), null);
      assert.equal(await sessions.get(created.id), null);
    });

    test('absolute timeout: a session ends at max age however active', async () => {
      const created = await sessions.create(INIT);
      let alive = 0;
      while (clock.now() - created.createdAt < MAX_AGE - IDLE / 2) {
        clock.advance(IDLE / 2);
        assert.ok(await sessions.get(created.id));
        alive++;
      }
      assert.ok(alive > 20);
      clock.advance(MAX_AGE - (clock.now() - created.createdAt));
      assert.equal(await sessions.get(created.id), null);
    });

    test('rotate moves the session to a new id and kills the old one', async () => {
      const user = `rot-${kind.name}`;
      const before = await sessions.create({ ...INIT, username: user });
      clock.advance(5_000);
      const after = await sessions.rotate(before, { verified: true, device: 'totp', verifiedAt: clock.now() });
      assert.notEqual(after.id, before.id);
      assert.ok(isSessionId(after.id));
      assert.equal(await sessions.get(before.id), null);
      const read = await sessions.get(after.id);
      assert.equal(read?.verified, true);
      assert.equal(read?.device, 'totp');
      assert.equal(read?.createdAt, before.createdAt); // max age still counts from login
      assert.deepEqual((await sessions.listFor(user)).map((s) => s.id), [after.id]);
    });

    test('update keeps the id; destroy ends one session', async () => {
      const user = `upd-${kind.name}`;
      const s = await sessions.create({ ...INIT, username: user });
      const updated = await sessions.update(s, { hasDevice: false });
      assert.equal(updated.id, s.id);
      assert.equal((await sessions.get(s.id))?.hasDevice, false);
      await sessions.destroy(s.id);
      assert.equal(await sessions.get(s.id), null);
      assert.deepEqual(await sessions.listFor(user), []);
      await sessions.destroy('not-an-id'); // harmless
    });

    test('destroyAllFor ends every session of one user only', async () => {
      const user = `all-${kind.name}`;
      const mine = await Promise.all([1, 2, 3].map(() => sessions.create({ ...INIT, username: user })));
      const theirs = await sessions.create({ ...INIT, username: `${user}-other` });
      assert.equal((await sessions.listFor(user)).length, 3);
      assert.equal(await sessions.destroyAllFor(user), 3);
      for (const s of mine) assert.equal(await sessions.get(s.id), null);
      assert.ok(await sessions.get(theirs.id));
      assert.equal(await sessions.destroyAllFor(user), 0);
    });

    test('listFor returns live sessions oldest first and prunes ended ones', async () => {
      const user = `list-${kind.name}`;
      const first = await sessions.create({ ...INIT, username: user });
      clock.advance(IDLE / 2);
      const second = await sessions.create({ ...INIT, username: user });
      const third = await sessions.create({ ...INIT, username: user });
      const listed = (await sessions.listFor(user)).map((s) => s.id);
      assert.equal(listed[0], first.id);
      assert.deepEqual(listed.slice(1).sort(), [second.id, third.id].sort());
      clock.advance(IDLE / 2); // the first is now idle too long
      const live = (await sessions.listFor(user)).map((s) => s.id).sort();
      assert.deepEqual(live, [second.id, third.id].sort());
      const raw = await env.store.smembers(`user:${user}:sessions`);
      assert.deepEqual(raw.sort(), [second.id, third.id].sort());
    });

    test('a stored value that is not a session counts as none', async () => {
      const id = 'B'.repeat(43);
      await env.store.set(`session:${id}`, '{not json');
      assert.equal(await sessions.get(id), null);
      await env.store.set(`session:${id}`, JSON.stringify({ u: 'x', c: 1, s: 1, d: 'root' }));
      assert.equal(await sessions.get(id), null);
    });

    if (kind.name === 'RedisStore') {
      test('on Redis a session read is exactly one GET', async () => {
        const raw = env.raw!;
        const created = await sessions.create(INIT);
        const monitor = await raw.monitor(); // a connection of its own
        const seen: string[][] = [];
        const endMarker = `${env.prefix}marker-end`;
        const sawEnd = new Promise<void>((resolve) => {
          monitor.on('monitor', (_time: string, args: string[]) => {
            if (args.some((a) => a === endMarker)) resolve();
            else if (args.some((a) => typeof a === 'string' && a.startsWith(env.prefix))) seen.push(args);
          });
        });
        clock.advance(1_000);
        assert.ok(await sessions.get(created.id));
        await raw.get(endMarker);
        await sawEnd;
        monitor.disconnect();
        assert.deepEqual(seen, [['get', `${env.prefix}session:${created.id}`]]);
      });

      test('a stored session takes well under 1 KB of Redis memory', async () => {
        const created = await sessions.create({
          ...INIT,
          username: 'a.rather.long.username@example.com',
          ip: '2001:db8:1234:5678:9abc:def0:1234:5678',
          userAgent: `Mozilla/5.0 ${'x'.repeat(2000)}`,
        });
        const rotated = await sessions.rotate(created, { verified: true, device: 'backup', verifiedAt: clock.now() });
        const bytes = await env.raw!.memory('USAGE', `${env.prefix}session:${rotated.id}`);
        assert.ok(typeof bytes === 'number' && bytes > 0 && bytes < 1024, `MEMORY USAGE ${String(bytes)}`);
      });
    }
  });
}
