// A short-lived in-process cache of sessions read by the proxy pipeline, so a
// verified user's requests do not each cost a store round trip.
//
// Safety rests on four things:
//   - every change that ends or alters a session is published on
//     INVALIDATION_CHANNEL by whichever process makes it (a gateway's pages or
//     the CLI), and every gateway drops the entry on arrival (see Sessions);
//   - entries live at most `ttlMs` (2 s by default), whatever else fails;
//   - caching is suspended (and the cache emptied) whenever the invalidation
//     feed is not known to be live: before it is first in place, and from the
//     moment its link is lost until it is back, since messages may have been
//     missed meanwhile;
//   - an epoch counter, bumped by every invalidation: a reader takes it before
//     its store read and may only cache the result while it is unchanged, so a
//     read that raced an invalidation is never cached after it.
// Idle and absolute session timeouts are checked again on every hit by the
// caller (Sessions.getForRequest) with its clock.
import type { Session } from './sessions.ts';
import type { Store } from '../store/types.ts';

export const INVALIDATION_CHANNEL = 'session-invalidation';
export const DEFAULT_CACHE_TTL_MS = 2000;
export const DEFAULT_CACHE_ENTRIES = 10_000;

export interface SessionCacheOptions {
  /** How long an entry may be served (ms); 0 turns caching off. */
  ttlMs?: number;
  /** At most this many entries; the oldest is evicted first. */
  maxEntries?: number;
  now?: () => number;
}

/** What happened to the cache, for whoever watches it (tests await invalidations through this). */
export type SessionCacheEvent =
  | { kind: 'invalidate'; id: string }
  | { kind: 'invalidate-user'; username: string }
  | { kind: 'clear' }
  | { kind: 'resume' };

/** An invalidation as published: one session id, or every session of a user. */
export type Invalidation = { id: string } | { user: string };

export class SessionCache {
  readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, { session: Session; until: number }>();
  private epochValue = 0;
  /** The invalidation feed is live: only then are entries stored or served. */
  private feedLive = false;
  private readonly watchers = new Set<(event: SessionCacheEvent) => void>();

  constructor(options: SessionCacheOptions = {}) {
    this.ttlMs = Math.max(0, options.ttlMs ?? DEFAULT_CACHE_TTL_MS);
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_CACHE_ENTRIES);
    this.now = options.now ?? Date.now;
  }

  /** Caching is on: a TTL above 0 and a live invalidation feed. */
  get active(): boolean {
    return this.ttlMs > 0 && this.feedLive;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Take before reading the store; pass to set() after. */
  get epoch(): number {
    return this.epochValue;
  }

  /** The cached session, or undefined (not cached, entry too old, or caching suspended). */
  get(id: string): Session | undefined {
    if (!this.active) return undefined;
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.until) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.session;
  }

  /** Caches a session read from the store, unless anything was invalidated since `epoch` was taken. */
  set(session: Session, epoch: number): boolean {
    if (!this.active || epoch !== this.epochValue) return false;
    this.entries.delete(session.id);
    this.entries.set(session.id, { session, until: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return true;
  }

  invalidate(id: string): void {
    this.epochValue += 1;
    this.entries.delete(id);
    this.emit({ kind: 'invalidate', id });
  }

  invalidateUser(username: string): void {
    this.epochValue += 1;
    for (const [id, entry] of this.entries) if (entry.session.username === username) this.entries.delete(id);
    this.emit({ kind: 'invalidate-user', username });
  }

  clear(): void {
    this.epochValue += 1;
    this.entries.clear();
    this.emit({ kind: 'clear' });
  }

  /** The feed is down (or not yet up): drop everything and stop caching. */
  suspend(): void {
    this.feedLive = false;
    this.clear();
  }

  /** The feed is (back) in place: start from empty, then cache again. */
  resume(): void {
    this.clear();
    this.feedLive = true;
    this.emit({ kind: 'resume' });
  }

  /** Applies a published invalidation; anything unreadable empties the whole cache. */
  apply(message: string): void {
    const parsed = parseInvalidation(message);
    if (parsed === null) this.clear();
    else if ('id' in parsed) this.invalidate(parsed.id);
    else this.invalidateUser(parsed.user);
  }

  /** Calls `watcher` on every change; returns a function that stops it. */
  watch(watcher: (event: SessionCacheEvent) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private emit(event: SessionCacheEvent): void {
    for (const watcher of [...this.watchers]) watcher(event);
  }
}

export function encodeInvalidation(inv: Invalidation): string {
  return JSON.stringify(inv);
}

export function parseInvalidation(message: string): Invalidation | null {
  try {
    const v = JSON.parse(message) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const o = v as Record<string, unknown>;
    if (typeof o.id === 'string') return { id: o.id };
    if (typeof o.user === 'string') return { user: o.user };
  } catch {
    // fall through
  }
  return null;
}

/**
 * Feeds the cache from the store's invalidation channel; caching starts once
 * the subscription is in place. Resolves with a function that stops it.
 */
export async function connectSessionCache(store: Store, cache: SessionCache): Promise<() => Promise<void>> {
  cache.suspend();
  const unsubscribe = await store.subscribe(
    INVALIDATION_CHANNEL,
    (message) => cache.apply(message),
    (live) => (live ? cache.resume() : cache.suspend()),
  );
  return async () => {
    cache.suspend();
    await unsubscribe();
  };
}
