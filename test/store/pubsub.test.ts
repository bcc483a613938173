// Store pub/sub, on the memory store and on a live Redis: messages reach
// every subscriber (on Redis: every store on the same key prefix, and no
// other), unsubscribe stops them, and on Redis a lost subscriber connection
// is reported (onResync(false)) and reported back only once SUBSCRIBE is in
// place again, which is what keeps the session cache off meanwhile.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { connectSessionCache, SessionCache } from '../../src/auth/session-cache.ts';
import { silentLogger } from '../../src/logger.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { RedisStore } from '../../src/store/redis.ts';
import type { Store } from '../../src/store/types.ts';
import { redisUrl, standaloneConfig, uniquePrefix } from './redis-harness.ts';

/** Collects what one subscription hears; next() resolves with the next thing heard. */
function listener() {
  const heard: string[] = [];
  let waiters: Array<() => void> = [];
  const push = (item: string) => {
    heard.push(item);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  return {
    heard,
    onMessage: (m: string) => push(`msg:${m}`),
    onResync: (live: boolean) => push(live ? 'live' : 'lost'),
    /** Resolves once `count` items have been heard in all. */
    async until(count: number): Promise<string[]> {
      while (heard.length < count) await new Promise<void>((r) => waiters.push(r));
      return heard.slice();
    },
  };
}

function pubsubContract(name: string, open: () => Promise<{ store: Store; peer: Store; dispose(): Promise<void> }>) {
  describe(`Store pub/sub: ${name}`, () => {
    test('a subscriber is told it is live, then hears what any store on the same data publishes', async () => {
      const { store, peer, dispose } = await open();
      const a = listener();
      const stop = await store.subscribe('chan', a.onMessage, a.onResync);
      assert.deepEqual(a.heard, ['live'], 'live before subscribe resolves');
      await peer.publish('chan', 'one');
      await store.publish('chan', '{"id":"two"}');
      await store.publish('other', 'not for us');
      assert.deepEqual(await a.until(3), ['live', 'msg:one', 'msg:{"id":"two"}']);
      await stop();
      await dispose();
    });

    test('every subscriber of a channel hears each message; unsubscribe stops it', async () => {
      const { store, peer, dispose } = await open();
      const a = listener();
      const b = listener();
      const stopA = await store.subscribe('chan', a.onMessage, a.onResync);
      const stopB = await peer.subscribe('chan', b.onMessage, b.onResync);
      await store.publish('chan', 'x');
      assert.deepEqual(await a.until(2), ['live', 'msg:x']);
      assert.deepEqual(await b.until(2), ['live', 'msg:x']);
      await stopA();
      await store.publish('chan', 'y');
      assert.deepEqual(await b.until(3), ['live', 'msg:x', 'msg:y']);
      assert.deepEqual(a.heard, ['live', 'msg:x']);
      await stopB();
      await dispose();
    });

    test('a closed store refuses publish and subscribe', async () => {
      const { store, dispose } = await open();
      const a = listener();
      await store.subscribe('chan', a.onMessage, a.onResync);
      await store.close();
      assert.deepEqual(a.heard, ['live', 'lost'], 'subscribers are told the feed ended');
      await assert.rejects(store.publish('chan', 'x'), { name: 'StoreUnavailableError' });
      await assert.rejects(store.subscribe('chan', () => {}, () => {}), { name: 'StoreUnavailableError' });
      await dispose();
    });
  });
}

pubsubContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, peer: store, dispose: () => store.close() };
});

pubsubContract('RedisStore', async () => {
  const prefix = uniquePrefix('pubsub');
  const store = new RedisStore(standaloneConfig(redisUrl(), prefix), silentLogger);
  const peer = new RedisStore(standaloneConfig(redisUrl(), prefix), silentLogger);
  return {
    store,
    peer,
    async dispose() {
      await store.close();
      await peer.close();
    },
  };
});

/** The Redis client id of the subscriber connection of a store on `prefix`. */
async function subscriberId(raw: Redis, prefix: string): Promise<string> {
  const list = String(await raw.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
  const line = list.split('\n').find((l) => l.includes(` name=otpgate-sub:${prefix} `));
  assert.ok(line, `no subscriber connection for ${prefix} in\n${list}`);
  return /(?:^|\s)id=(\d+)/.exec(line)?.[1] as string;
}

describe('Store pub/sub on Redis: the subscriber connection', () => {
  test('channels carry the key prefix; other prefixes hear nothing', async () => {
    const prefix = uniquePrefix('pubsub');
    const store = new RedisStore(standaloneConfig(redisUrl(), prefix), silentLogger);
    const other = new RedisStore(standaloneConfig(redisUrl(), uniquePrefix('pubsub')), silentLogger);
    const raw = new Redis(redisUrl());
    const a = listener();
    const b = listener();
    await store.subscribe('chan', a.onMessage, a.onResync);
    await other.subscribe('chan', b.onMessage, b.onResync);
    assert.equal(await raw.publish(`${prefix}chan`, 'raw'), 1);
    await store.publish('chan', 'own');
    assert.deepEqual(await a.until(3), ['live', 'msg:raw', 'msg:own']);
    await other.publish('chan', 'other');
    assert.deepEqual(await b.until(2), ['live', 'msg:other']);
    assert.deepEqual(a.heard, ['live', 'msg:raw', 'msg:own']);
    raw.disconnect();
    await store.close();
    await other.close();
  });

  test('a killed subscriber connection is reported lost, then live once resubscribed, and hears again', async () => {
    const prefix = uniquePrefix('pubsub');
    const store = new RedisStore(standaloneConfig(redisUrl(), prefix), silentLogger);
    const raw = new Redis(redisUrl());
    const a = listener();
    await store.subscribe('chan', a.onMessage, a.onResync);
    const id = await subscriberId(raw, prefix);
    await raw.call('CLIENT', 'KILL', 'ID', id);
    assert.deepEqual(await a.until(3), ['live', 'lost', 'live']);
    // Live means SUBSCRIBE was acknowledged: a publish now is heard.
    assert.notEqual(await subscriberId(raw, prefix), id);
    await raw.publish(`${prefix}chan`, 'after');
    assert.deepEqual(await a.until(4), ['live', 'lost', 'live', 'msg:after']);
    // The main connection was never affected.
    assert.equal(store.reachable, true);
    raw.disconnect();
    await store.close();
  });

  test('the session cache is emptied and off from the loss until the subscription is back', async () => {
    const prefix = uniquePrefix('pubsub');
    const store = new RedisStore(standaloneConfig(redisUrl(), prefix), silentLogger);
    const raw = new Redis(redisUrl());
    const cache = new SessionCache();
    const events: Array<{ kind: string; active: boolean }> = [];
    let resumed: () => void = () => {};
    cache.watch((e) => {
      events.push({ kind: e.kind, active: cache.active });
      if (e.kind === 'resume') resumed();
    });
    let firstResume = new Promise<void>((r) => (resumed = r));
    const stop = await connectSessionCache(store, cache);
    await firstResume;
    assert.equal(cache.active, true);
    const s = { id: 'x'.repeat(43), username: 'alice', verified: true, device: 'totp' as const, hasDevice: true, createdAt: 0, lastSeenAt: 0, verifiedAt: 0, ip: '', userAgent: '' };
    assert.equal(cache.set(s, cache.epoch), true);

    events.length = 0;
    firstResume = new Promise<void>((r) => (resumed = r));
    await raw.call('CLIENT', 'KILL', 'ID', await subscriberId(raw, prefix));
    await firstResume;
    // Lost: cleared and inactive; back: cleared again, then active.
    assert.deepEqual(events, [
      { kind: 'clear', active: false },
      { kind: 'clear', active: false },
      { kind: 'resume', active: true },
    ]);
    assert.equal(cache.get(s.id), undefined);
    await stop();
    assert.equal(cache.active, false);
    raw.disconnect();
    await store.close();
  });
});
