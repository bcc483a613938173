// The two Store implementations the auth tests run against: the in-memory
// store (on the test's clock) and a live Redis under a key prefix of its own.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger } from '../../src/logger.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { RedisStore } from '../../src/store/redis.ts';
import type { Store } from '../../src/store/types.ts';

export interface StoreUnderTest {
  store: Store;
  /** A plain client on the same Redis (null for the memory store), for looking behind the store. */
  raw: Redis | null;
  /** Prefix the store puts before every key. */
  prefix: string;
  dispose(): Promise<void>;
}

export interface StoreKind {
  name: string;
  open(now: () => number): Promise<StoreUnderTest>;
}

export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests through scripts/run-tests.mjs');
  return url;
}

export const STORE_KINDS: StoreKind[] = [
  {
    name: 'MemoryStore',
    async open(now) {
      const store = new MemoryStore({ now });
      return { store, raw: null, prefix: '', dispose: () => store.close() };
    },
  },
  {
    name: 'RedisStore',
    async open() {
      const prefix = `test-auth-${randomBytes(6).toString('hex')}:`;
      const store = new RedisStore({ url: redisUrl(), sentinels: null, name: null, cluster: null, keyPrefix: prefix }, silentLogger);
      await store.whenReady();
      const raw = new Redis(redisUrl());
      return {
        store,
        raw,
        prefix,
        async dispose() {
          const keys = await raw.keys(`${prefix}*`);
          if (keys.length > 0) await raw.del(...keys);
          await raw.quit();
          await store.close();
        },
      };
    },
  },
];

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
