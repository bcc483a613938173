// The embedded Store: one process, nothing survives a restart. For
// development and the demo only. Every operation runs synchronously inside,
// so each one is atomic with respect to the others for free; the Promise
// return types only keep the interface the same as Redis.
//
// Expiry is checked when a key is touched, and a periodic sweep (unref'd, so
// it never keeps the process alive) drops keys nobody touches again.
import { StoreUnavailableError } from './types.ts';
import type { Store } from './types.ts';
import { checkFinite, ttlArgument } from './values.ts';

type Value =
  | { type: 'string'; value: string }
  | { type: 'set'; members: Set<string> }
  | { type: 'zset'; scores: Map<string, number> };

type Entry = Value & { expiresAt: number | null };

interface Subscriber {
  onMessage: (message: string) => void;
  onResync: (live: boolean) => void;
}

type EntryOf<T extends Value['type']> = Extract<Value, { type: T }> & { expiresAt: number | null };

export interface MemoryStoreOptions {
  /** Clock in milliseconds; tests pass one they can move forward. */
  now?: () => number;
  /** How often expired keys are swept out (ms). */
  sweepIntervalMs?: number;
}

const DEFAULT_SWEEP_MS = 60_000;

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly reachable = true;
  private readonly entries = new Map<string, Entry>();
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? DEFAULT_SWEEP_MS);
    this.sweeper.unref();
  }

  /** Number of keys held, expired ones included until they are swept or touched. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops every expired key. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) this.entries.delete(key);
    }
  }

  // --- internals -----------------------------------------------------------

  /** Wraps an operation so it rejects (never throws) and refuses to run after close(). */
  private op<T>(body: () => T): Promise<T> {
    try {
      if (this.closed) throw new StoreUnavailableError('store is closed');
      return Promise.resolve(body());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** The live entry of `key` when it holds `type`; undefined when absent; rejects a different type like Redis does. */
  private typed<T extends Value['type']>(key: string, type: T): EntryOf<T> | undefined {
    const entry = this.live(key);
    if (entry === undefined) return undefined;
    if (entry.type !== type) {
      throw new StoreUnavailableError(`store key holds a ${entry.type}, not a ${type} (WRONGTYPE)`);
    }
    return entry as EntryOf<T>;
  }

  private expiryFor(ttl: number): number | null {
    return ttl > 0 ? this.now() + ttl : null;
  }

  // --- strings ---------------------------------------------------------------

  get(key: string): Promise<string | null> {
    return this.op(() => this.typed(key, 'string')?.value ?? null);
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.op(() => {
      this.entries.set(key, { type: 'string', value, expiresAt: this.expiryFor(ttlArgument(ttlMs)) });
    });
  }

  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    return this.op(() => {
      const ttl = ttlArgument(ttlMs);
      if (this.live(key) !== undefined) return false;
      this.entries.set(key, { type: 'string', value, expiresAt: this.expiryFor(ttl) });
      return true;
    });
  }

  setIfPresent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    return this.op(() => {
      const ttl = ttlArgument(ttlMs);
      if (this.live(key) === undefined) return false;
      this.entries.set(key, { type: 'string', value, expiresAt: this.expiryFor(ttl) });
      return true;
    });
  }

  del(...keys: string[]): Promise<void> {
    return this.op(() => {
      for (const key of keys) this.entries.delete(key);
    });
  }

  ttl(key: string): Promise<number> {
    return this.op(() => {
      const entry = this.live(key);
      if (entry === undefined) return -2;
      if (entry.expiresAt === null) return -1;
      return entry.expiresAt - this.now();
    });
  }

  incr(key: string, ttlMs: number): Promise<number> {
    return this.op(() => {
      const ttl = ttlArgument(ttlMs);
      const entry = this.typed(key, 'string');
      const current = entry === undefined ? 0 : Number(entry.value);
      if (!Number.isSafeInteger(current)) throw new StoreUnavailableError('store value is not an integer');
      const next = current + 1;
      // Like the Redis script: a counter without an expiry gets one, so no counter lives forever.
      const expiresAt = entry?.expiresAt ?? this.expiryFor(ttl);
      this.entries.set(key, { type: 'string', value: String(next), expiresAt });
      return next;
    });
  }

  raiseTo(key: string, value: number, ttlMs?: number): Promise<boolean> {
    return this.op(() => {
      checkFinite(value, 'raiseTo value');
      const ttl = ttlArgument(ttlMs);
      const entry = this.typed(key, 'string');
      if (entry !== undefined) {
        const stored = Number(entry.value);
        // A stored value that is not a number is never overwritten: refusing is the safe answer.
        if (entry.value.trim() === '' || Number.isNaN(stored) || stored >= value) return false;
      }
      this.entries.set(key, { type: 'string', value: String(value), expiresAt: this.expiryFor(ttl) });
      return true;
    });
  }

  // --- sets --------------------------------------------------------------------

  sadd(key: string, members: string[]): Promise<void> {
    return this.op(() => {
      if (members.length === 0) return;
      const entry = this.typed(key, 'set');
      if (entry === undefined) {
        this.entries.set(key, { type: 'set', members: new Set(members), expiresAt: null });
      } else {
        for (const m of members) entry.members.add(m);
      }
    });
  }

  srem(key: string, member: string): Promise<boolean> {
    return this.op(() => {
      const entry = this.typed(key, 'set');
      if (entry === undefined || !entry.members.delete(member)) return false;
      if (entry.members.size === 0) this.entries.delete(key);
      return true;
    });
  }

  smembers(key: string): Promise<string[]> {
    return this.op(() => [...(this.typed(key, 'set')?.members ?? [])]);
  }

  scard(key: string): Promise<number> {
    return this.op(() => this.typed(key, 'set')?.members.size ?? 0);
  }

  // --- sorted sets -----------------------------------------------------------

  zadd(key: string, score: number, member: string): Promise<void> {
    return this.op(() => {
      checkFinite(score, 'zadd score');
      const entry = this.typed(key, 'zset');
      if (entry === undefined) {
        this.entries.set(key, { type: 'zset', scores: new Map([[member, score]]), expiresAt: null });
      } else {
        entry.scores.set(member, score);
      }
    });
  }

  zrem(key: string, member: string): Promise<boolean> {
    return this.op(() => {
      const entry = this.typed(key, 'zset');
      if (entry === undefined || !entry.scores.delete(member)) return false;
      if (entry.scores.size === 0) this.entries.delete(key);
      return true;
    });
  }

  zrange(key: string, limit: number): Promise<Array<{ member: string; score: number }>> {
    return this.op(() => {
      const entry = this.typed(key, 'zset');
      if (entry === undefined || limit <= 0) return [];
      return ordered(entry.scores).slice(0, Math.floor(limit));
    });
  }

  claimDue(key: string, now: number, leaseMs: number, limit: number): Promise<string[]> {
    return this.op(() => {
      checkFinite(now, 'claimDue now');
      checkFinite(leaseMs, 'claimDue leaseMs');
      const entry = this.typed(key, 'zset');
      if (entry === undefined || limit <= 0) return [];
      const due: string[] = [];
      for (const { member, score } of ordered(entry.scores)) {
        if (score > now || due.length >= Math.floor(limit)) break;
        due.push(member);
      }
      for (const member of due) entry.scores.set(member, now + leaseMs);
      return due;
    });
  }

  // --- pub/sub ---------------------------------------------------------------

  /** Delivers synchronously to every subscriber of this store before resolving. */
  publish(channel: string, message: string): Promise<void> {
    return this.op(() => {
      const subs = this.subscribers.get(channel);
      if (subs === undefined) return;
      for (const sub of [...subs]) sub.onMessage(message);
    });
  }

  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onResync: (live: boolean) => void,
  ): Promise<() => Promise<void>> {
    return this.op(() => {
      const sub: Subscriber = { onMessage, onResync };
      let subs = this.subscribers.get(channel);
      if (subs === undefined) this.subscribers.set(channel, (subs = new Set()));
      subs.add(sub);
      onResync(true);
      return async () => {
        const current = this.subscribers.get(channel);
        current?.delete(sub);
        if (current?.size === 0) this.subscribers.delete(channel);
      };
    });
  }

  // --- lifecycle -----------------------------------------------------------

  ping(): Promise<void> {
    return this.op(() => undefined);
  }

  close(): Promise<void> {
    if (!this.closed) {
      // Subscribers hear no more messages: tell them so.
      for (const subs of this.subscribers.values()) for (const sub of subs) sub.onResync(false);
    }
    this.closed = true;
    this.subscribers.clear();
    clearInterval(this.sweeper);
    this.entries.clear();
    return Promise.resolve();
  }
}

/** Lowest score first; equal scores by member, as Redis orders them. */
function ordered(scores: Map<string, number>): Array<{ member: string; score: number }> {
  return [...scores]
    .map(([member, score]) => ({ member, score }))
    .sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
}
