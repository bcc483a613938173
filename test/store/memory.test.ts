import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../../src/store/memory.ts';
import { storeContract } from './contract.ts';

/** A clock the tests move by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

storeContract('MemoryStore', { movableClock: true }, async () => {
  const clock = manualClock();
  const store = new MemoryStore({ now: clock.now });
  return {
    store,
    peer: store,
    advance: clock.advance,
    openSpare: async () => new MemoryStore({ now: clock.now }),
    dispose: () => store.close(),
  };
});

test('MemoryStore: the sweep drops expired keys nobody touches again', async () => {
  const clock = manualClock();
  const store = new MemoryStore({ now: clock.now });
  await store.set('short', 'v', 1_000);
  await store.incr('counter', 5_000);
  await store.set('forever', 'v');
  assert.equal(store.size, 3);
  clock.advance(1_000);
  store.sweep();
  assert.equal(store.size, 2);
  clock.advance(4_000);
  store.sweep();
  assert.equal(store.size, 1);
  assert.equal(await store.get('forever'), 'v');
  await store.close();
});

test('MemoryStore: the periodic sweep runs by itself', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const clock = manualClock();
  const store = new MemoryStore({ now: clock.now, sweepIntervalMs: 60_000 });
  await store.set('short', 'v', 10);
  clock.advance(10);
  assert.equal(store.size, 1, 'expired but not yet swept');
  t.mock.timers.tick(60_000);
  assert.equal(store.size, 0);
  await store.close();
});

test('MemoryStore: returned collections are copies, not live views', async () => {
  const store = new MemoryStore();
  await store.sadd('s', ['a']);
  const members = await store.smembers('s');
  members.push('b');
  assert.deepEqual(await store.smembers('s'), ['a']);
  await store.close();
});
