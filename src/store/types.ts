// The one storage interface otpgate uses. Two implementations: ./redis.ts
// (ioredis: standalone, Sentinel or Cluster) and ./memory.ts (embedded, one
// process, development only). Keys passed in are relative: implementations
// add `store.redis.key_prefix` themselves.
//
// Every method either succeeds or rejects with StoreUnavailableError, so the
// gateway can fail closed (503) on protected paths when the store is down.
// Operations that decide security (a TOTP step used once, a backup code used
// once, a queued webhook claimed by one instance) are single atomic
// operations in both implementations.

export interface Store {
  readonly kind: 'redis' | 'memory';
  /**
   * False while the store is known to be unreachable (its connection is
   * down), without a round trip: protected paths then fail closed at once,
   * even for requests that carry no session.
   */
  readonly reachable: boolean;

  get(key: string): Promise<string | null>;
  /** Sets a value; with ttlMs > 0 it expires after that many milliseconds. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets only when the key does not exist; true when it was set. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  /** Sets only when the key exists (so a refresh cannot bring back a deleted key); true when it was set. */
  setIfPresent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  del(...keys: string[]): Promise<void>;
  /** Remaining time to live in ms; -1 without expiry, -2 when the key is absent. */
  ttl(key: string): Promise<number>;

  /** Increments a counter; a counter created by this call expires after ttlMs. */
  incr(key: string, ttlMs: number): Promise<number>;

  /** Atomically stores `value` when it is greater than the stored number (or none is stored); true when stored. */
  raiseTo(key: string, value: number, ttlMs?: number): Promise<boolean>;

  sadd(key: string, members: string[]): Promise<void>;
  /** Atomically removes one member; true only for the one caller that removed it. */
  srem(key: string, member: string): Promise<boolean>;
  smembers(key: string): Promise<string[]>;
  scard(key: string): Promise<number>;

  /** Sorted set: adds or moves a member to `score`. */
  zadd(key: string, score: number, member: string): Promise<void>;
  zrem(key: string, member: string): Promise<boolean>;
  /** Members with their scores, lowest score first. */
  zrange(key: string, limit: number): Promise<Array<{ member: string; score: number }>>;
  /**
   * Atomically claims up to `limit` members whose score is <= now by moving
   * them to now + leaseMs, and returns them. Used as a reliable queue: a
   * claimed member that is not removed before its lease ends is claimed again.
   */
  claimDue(key: string, now: number, leaseMs: number, limit: number): Promise<string[]>;

  /**
   * Publishes a message on a channel (Redis: PUBLISH on the key-prefixed
   * channel name, seen by every instance on the same Redis and prefix).
   * Delivery is at most once: a subscriber whose link is down misses it, and
   * is told so through its onResync.
   */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Delivers every message published on `channel` to onMessage. onResync(false)
   * is called when the subscription is lost (messages may be missed from then
   * on) and onResync(true) once it is in place, the first time included: a
   * consumer that keeps state derived from the messages must treat it as
   * unsynchronised until onResync(true), and drop it on onResync(false).
   * Resolves with an unsubscribe function once the first attempt to subscribe
   * has settled (it may still be down then; onResync(true) follows later).
   */
  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onResync: (live: boolean) => void,
  ): Promise<() => Promise<void>>;

  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store cannot be reached (or did not answer in time). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
