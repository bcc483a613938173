// SessionCache as a data structure on a fake clock, and Sessions.getForRequest
// reading through it: TTL, suspension, the epoch guard against a read racing
// an invalidation, eviction, per-user invalidation, and the session's own
// idle/absolute timeouts on a cached entry.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SessionCache, connectSessionCache, parseInvalidation, INVALIDATION_CHANNEL } from '../../src/auth/session-cache.ts';
import { Sessions } from '../../src/auth/sessions.ts';
import type { Session } from '../../src/auth/sessions.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import type { Store } from '../../src/store/types.ts';

const ID = (n: number) => `${String(n).padStart(3, '0')}${'a'.repeat(40)}`;

function session(id: string, username = 'alice'): Session {
  return {
    id,
    username,
    verified: true,
    device: 'totp',
    hasDevice: true,
    createdAt: 0,
    lastSeenAt: 0,
    verifiedAt: 0,
    ip: '127.0.0.1',
    userAgent: 'test',
  };
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function liveCache(options: ConstructorParameters<typeof SessionCache>[0] = {}): SessionCache {
  const cache = new SessionCache(options);
  cache.resume();
  return cache;
}

describe('SessionCache', () => {
  test('serves an entry for ttlMs, then not', () => {
    const c = clock();
    const cache = liveCache({ ttlMs: 2000, now: c.now });
    assert.equal(cache.set(session(ID(1)), cache.epoch), true);
    assert.equal(cache.get(ID(1))?.id, ID(1));
    c.advance(1999);
    assert.equal(cache.get(ID(1))?.id, ID(1));
    c.advance(1);
    assert.equal(cache.get(ID(1)), undefined);
    assert.equal(cache.size, 0);
  });

  test('defaults to a 2 s TTL', () => {
    const c = clock();
    const cache = liveCache({ now: c.now });
    cache.set(session(ID(1)), cache.epoch);
    c.advance(1999);
    assert.ok(cache.get(ID(1)));
    c.advance(1);
    assert.equal(cache.get(ID(1)), undefined);
  });

  test('ttlMs 0 turns caching off', () => {
    const cache = liveCache({ ttlMs: 0 });
    assert.equal(cache.active, false);
    assert.equal(cache.set(session(ID(1)), cache.epoch), false);
    assert.equal(cache.get(ID(1)), undefined);
  });

  test('stores nothing until the invalidation feed is live, and drops everything when it is lost', () => {
    const cache = new SessionCache();
    assert.equal(cache.active, false);
    assert.equal(cache.set(session(ID(1)), cache.epoch), false);
    cache.resume();
    assert.equal(cache.set(session(ID(1)), cache.epoch), true);
    cache.suspend();
    assert.equal(cache.size, 0);
    assert.equal(cache.get(ID(1)), undefined);
    assert.equal(cache.set(session(ID(1)), cache.epoch), false);
    cache.resume();
    assert.equal(cache.get(ID(1)), undefined, 'nothing from before the loss comes back');
  });

  test('a read that started before an invalidation is not cached after it', () => {
    const cache = liveCache();
    for (const invalidate of [
      () => cache.invalidate(ID(1)),
      () => cache.invalidate(ID(2)),
      () => cache.invalidateUser('bob'),
      () => cache.clear(),
      () => cache.apply('{"id":"x"}'),
    ]) {
      const epoch = cache.epoch; // before the store read
      invalidate(); // arrives while the read is in flight
      assert.equal(cache.set(session(ID(1)), epoch), false);
      assert.equal(cache.get(ID(1)), undefined);
    }
    assert.equal(cache.set(session(ID(1)), cache.epoch), true);
  });

  test('a read that lost the feed meanwhile is not cached either', () => {
    const cache = liveCache();
    const epoch = cache.epoch;
    cache.suspend();
    cache.resume();
    assert.equal(cache.set(session(ID(1)), epoch), false);
  });

  test('evicts the oldest entry beyond maxEntries; setting again makes an entry the newest', () => {
    const cache = liveCache({ maxEntries: 3 });
    for (const n of [1, 2, 3]) cache.set(session(ID(n)), cache.epoch);
    cache.set(session(ID(1)), cache.epoch);
    cache.set(session(ID(4)), cache.epoch);
    assert.equal(cache.size, 3);
    assert.equal(cache.get(ID(2)), undefined);
    assert.ok(cache.get(ID(1)));
    assert.ok(cache.get(ID(3)));
    assert.ok(cache.get(ID(4)));
  });

  test('invalidate and invalidateUser drop exactly what they name', () => {
    const cache = liveCache();
    cache.set(session(ID(1), 'alice'), cache.epoch);
    cache.set(session(ID(2), 'alice'), cache.epoch);
    cache.set(session(ID(3), 'bob'), cache.epoch);
    cache.invalidate(ID(3));
    assert.equal(cache.get(ID(3)), undefined);
    assert.ok(cache.get(ID(1)));
    cache.set(session(ID(3), 'bob'), cache.epoch);
    cache.invalidateUser('alice');
    assert.equal(cache.get(ID(1)), undefined);
    assert.equal(cache.get(ID(2)), undefined);
    assert.ok(cache.get(ID(3)));
  });

  test('published messages: an id, a user, and anything unreadable empties the cache', () => {
    const cache = liveCache();
    const fill = () => {
      cache.set(session(ID(1), 'alice'), cache.epoch);
      cache.set(session(ID(2), 'bob'), cache.epoch);
    };
    fill();
    cache.apply(JSON.stringify({ id: ID(1) }));
    assert.deepEqual([cache.get(ID(1)), cache.get(ID(2))?.id], [undefined, ID(2)]);
    fill();
    cache.apply(JSON.stringify({ user: 'bob' }));
    assert.deepEqual([cache.get(ID(1))?.id, cache.get(ID(2))], [ID(1), undefined]);
    for (const garbage of ['', 'null', '[]', '{"id":5}', '{', '"x"']) {
      fill();
      cache.apply(garbage);
      assert.equal(cache.size, 0, garbage);
    }
    assert.equal(parseInvalidation('{"user":"a","id":"b"}') !== null, true);
  });

  test('watchers see each invalidation', () => {
    const cache = liveCache();
    const seen: string[] = [];
    const stop = cache.watch((e) => seen.push(e.kind === 'invalidate' ? e.id : e.kind === 'invalidate-user' ? `user:${e.username}` : e.kind));
    cache.invalidate('x');
    cache.invalidateUser('alice');
    cache.clear();
    stop();
    cache.clear();
    assert.deepEqual(seen, ['x', 'user:alice', 'clear']);
  });
});

/** A memory store that counts GETs and can hold the next one's reply until released. */
function countingStore(inner: Store) {
  let gets = 0;
  let hold: Promise<void> | null = null;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'get') {
        return async (key: string) => {
          gets += 1;
          const value = await target.get(key);
          const held = hold;
          hold = null; // only the next GET waits
          if (held) await held;
          return value;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    store,
    gets: () => gets,
    holdNextGet(): () => void {
      let release: () => void = () => {};
      hold = new Promise((r) => (release = r));
      return release;
    },
  };
}

describe('Sessions.getForRequest through a SessionCache', () => {
  const IDLE = 30 * 60_000;
  const MAX = 12 * 3600_000;

  async function setup() {
    const c = clock();
    const memory = new MemoryStore({ now: c.now });
    const counting = countingStore(memory);
    const cache = new SessionCache({ ttlMs: 2000, now: c.now });
    const stop = await connectSessionCache(counting.store, cache);
    const sessions = new Sessions(counting.store, { idleTimeoutMs: IDLE, maxAgeMs: MAX }, c.now, cache);
    const plain = new Sessions(counting.store, { idleTimeoutMs: IDLE, maxAgeMs: MAX }, c.now);
    const s = await sessions.create({ username: 'alice', hasDevice: true, verified: true, device: 'totp', ip: '1.2.3.4', userAgent: 'ua' });
    return {
      c, memory, counting, cache, sessions, plain, s,
      async close() {
        await stop();
        await memory.close();
      },
    };
  }

  test('the second read within the TTL costs no store read; get() never uses the cache', async () => {
    const t = await setup();
    assert.equal((await t.sessions.getForRequest(t.s.id))?.username, 'alice');
    const before = t.counting.gets();
    assert.equal((await t.sessions.getForRequest(t.s.id))?.username, 'alice');
    assert.equal(t.counting.gets(), before);
    await t.sessions.get(t.s.id);
    assert.equal(t.counting.gets(), before + 1);
    t.c.advance(2000);
    await t.sessions.getForRequest(t.s.id);
    assert.equal(t.counting.gets(), before + 2);
    await t.close();
  });

  test('without a cache it is get()', async () => {
    const t = await setup();
    const before = t.counting.gets();
    await t.plain.getForRequest(t.s.id);
    await t.plain.getForRequest(t.s.id);
    assert.equal(t.counting.gets(), before + 2);
    assert.equal(await t.plain.getForRequest('not-an-id'), null);
    await t.close();
  });

  test('destroy, destroyAllFor, rotate and update by another Sessions on the store take effect on the next read', async () => {
    const t = await setup();
    // `plain` stands for another process (e.g. the CLI): it has no cache, and publishes.
    await t.sessions.getForRequest(t.s.id);
    await t.plain.destroy(t.s.id);
    assert.equal(await t.sessions.getForRequest(t.s.id), null);

    const s2 = await t.sessions.create({ username: 'alice', hasDevice: true, verified: true, device: 'totp', ip: '', userAgent: '' });
    await t.sessions.getForRequest(s2.id);
    assert.equal(await t.plain.destroyAllFor('alice'), 1);
    assert.equal(await t.sessions.getForRequest(s2.id), null);

    const s3 = await t.sessions.create({ username: 'alice', hasDevice: false, ip: '', userAgent: '' });
    await t.sessions.getForRequest(s3.id);
    const s4 = await t.plain.rotate(s3, { verified: true });
    assert.equal(await t.sessions.getForRequest(s3.id), null);
    assert.equal((await t.sessions.getForRequest(s4.id))?.verified, true);
    await t.plain.update(s4, { verified: false, hasDevice: false });
    assert.deepEqual(
      await t.sessions.getForRequest(s4.id).then((s) => [s?.verified, s?.hasDevice]),
      [false, false],
    );
    await t.close();
  });

  test('idle and absolute timeouts are checked on a cached session', async () => {
    const t = await setup();
    // A store that forgets nothing by itself: only the cache's own check can refuse.
    await t.sessions.getForRequest(t.s.id);
    const cached = t.cache.get(t.s.id);
    assert.ok(cached);
    // Put back a session that is already too old, as if read long ago and kept.
    t.cache.set({ ...cached, createdAt: t.c.now() - MAX }, t.cache.epoch);
    const before = t.counting.gets();
    const got = await t.sessions.getForRequest(t.s.id);
    assert.equal(t.counting.gets(), before + 1, 'the stale entry is not served; the store is asked');
    assert.equal(got?.createdAt, t.s.createdAt);
    t.cache.set({ ...cached, lastSeenAt: t.c.now() - IDLE }, t.cache.epoch);
    await t.sessions.getForRequest(t.s.id);
    assert.equal(t.counting.gets(), before + 2);
    await t.close();
  });

  test('a session due for its idle refresh is read (and refreshed) from the store', async () => {
    const t = await setup();
    await t.sessions.getForRequest(t.s.id);
    t.c.advance(60_000);
    const before = t.counting.gets();
    const got = await t.sessions.getForRequest(t.s.id);
    assert.equal(t.counting.gets(), before + 1);
    assert.equal(got?.lastSeenAt, t.c.now());
    await t.close();
  });

  test('a store read that an invalidation overtakes is served once but never cached', async () => {
    const t = await setup();
    const release = t.counting.holdNextGet();
    const reading = t.sessions.getForRequest(t.s.id); // GET done, reply held
    await t.plain.destroy(t.s.id); // logout elsewhere, published meanwhile
    release();
    assert.equal((await reading)?.id, t.s.id, 'the read in flight saw the session, as without a cache');
    assert.equal(t.cache.get(t.s.id), undefined);
    assert.equal(await t.sessions.getForRequest(t.s.id), null);
    await t.close();
  });

  test('nothing is cached while the feed is suspended', async () => {
    const t = await setup();
    t.cache.suspend();
    const before = t.counting.gets();
    await t.sessions.getForRequest(t.s.id);
    await t.sessions.getForRequest(t.s.id);
    assert.equal(t.counting.gets(), before + 2);
    await t.close();
  });

  test('the store is told on INVALIDATION_CHANNEL', async () => {
    const t = await setup();
    const heard: string[] = [];
    const stop = await t.memory.subscribe(INVALIDATION_CHANNEL, (m) => heard.push(m), () => {});
    await t.plain.destroy(t.s.id);
    await t.plain.destroyAllFor('bob');
    await stop();
    assert.deepEqual(heard.map((m) => JSON.parse(m) as unknown), [{ id: t.s.id }, { user: 'bob' }]);
    await t.close();
  });
});
