// Login sessions in the store.
//
//   session:<id>             compact JSON of the session, expiring at the idle
//                            timeout (or the absolute one, whichever is first)
//   user:<name>:sessions     set of the user's session ids, for "log out
//                            everywhere" and the account page
//
// get() runs on every proxied request, so it is one GET in the common case:
// the idle expiry is pushed forward only when the last push is older than a
// minute (or a tenth of the idle timeout). This makes the effective idle
// timeout up to that much shorter than configured, never longer.
//
// Every change that ends or alters a session (destroy, destroyAllFor, rotate,
// update) is published on the store's invalidation channel before it
// resolves, so gateways that cache sessions (see ./session-cache.ts) drop
// theirs at once. Only getForRequest() reads through that cache, and only the
// proxy pipeline calls it; the gateway pages read the store with get().
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/types.ts';
import { encodeInvalidation, INVALIDATION_CHANNEL } from './session-cache.ts';
import type { Invalidation, SessionCache } from './session-cache.ts';

export type SessionDevice = 'totp' | 'backup' | 'remembered';

export interface Session {
  id: string;
  username: string;
  /** Passed a second factor (or a remembered browser) in this session. */
  verified: boolean;
  device: SessionDevice | null;
  /** The user has a second-factor device enrolled. */
  hasDevice: boolean;
  createdAt: number;
  /** Last time the idle expiry was pushed forward (at most a minute stale). */
  lastSeenAt: number;
  verifiedAt: number | null;
  ip: string;
  userAgent: string;
}

export interface SessionInit {
  username: string;
  hasDevice: boolean;
  verified?: boolean;
  device?: SessionDevice | null;
  ip: string;
  userAgent: string;
}

export type SessionChanges = Partial<Pick<Session, 'verified' | 'device' | 'hasDevice' | 'verifiedAt'>>;

export interface SessionsConfig {
  idleTimeoutMs: number;
  maxAgeMs: number;
}


// 32 random bytes in base64url: exactly 43 characters of this alphabet.
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
// Bounds on client-supplied text kept in the session, so one stays well under 1 KB.
const MAX_USER_AGENT = 256;
const MAX_IP = 64;
const INDEX_PRUNE_AT = 20;
const DEVICES: ReadonlySet<string> = new Set(['totp', 'backup', 'remembered']);

/** Stored form: short keys keep a session small in Redis. */
interface StoredSession {
  u: string;
  v: 0 | 1;
  d: SessionDevice | null;
  h: 0 | 1;
  c: number;
  s: number;
  t: number | null;
  i: string;
  a: string;
}

export function isSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

export class Sessions {
  private readonly refreshAfterMs: number;

  constructor(
    private readonly store: Store,
    private readonly cfg: SessionsConfig,
    private readonly now: () => number = Date.now,
    private readonly cache: SessionCache | null = null,
  ) {
    this.refreshAfterMs = Math.min(60_000, Math.floor(cfg.idleTimeoutMs / 10));
  }

  async create(init: SessionInit): Promise<Session> {
    const now = this.now();
    const session: Session = {
      id: newSessionId(),
      username: init.username,
      verified: init.verified ?? false,
      device: init.device ?? null,
      hasDevice: init.hasDevice,
      createdAt: now,
      lastSeenAt: now,
      verifiedAt: init.verified ? now : null,
      ip: init.ip.slice(0, MAX_IP),
      userAgent: init.userAgent.slice(0, MAX_USER_AGENT),
    };
    await this.save(session, now);
    // Ids of sessions that simply expired stay in the index; tidy it now and
    // then so a user who logs in daily for years does not grow it forever.
    if ((await this.store.scard(indexKey(session.username))) > INDEX_PRUNE_AT) await this.listFor(session.username);
    return session;
  }

  /** The live session with this id, or null (bad shape, unknown, idle too long or too old). */
  async get(id: string): Promise<Session | null> {
    if (!isSessionId(id)) return null;
    const raw = await this.store.get(sessionKey(id));
    if (raw === null) return null;
    const session = decode(id, raw);
    const now = this.now();
    if (!session || this.expired(session, now)) {
      await this.store.del(sessionKey(id));
      return null;
    }
    if (now - session.lastSeenAt >= this.refreshAfterMs) {
      const refreshed = { ...session, lastSeenAt: now };
      const ttl = this.ttlFor(refreshed, now);
      const value = encode(refreshed);
      // SET XX: a refresh racing a logout or rotation cannot bring the ended session back.
      if (!(await this.store.setIfPresent(sessionKey(id), value, ttl))) return null;
      return refreshed;
    }
    return session;
  }

  /**
   * get() through the in-process cache, for the proxy pipeline's per-request
   * read. Without a cache, or while the store is known to be down (a cached
   * session must never stand in for an unreachable store), it is get().
   */
  async getForRequest(id: string): Promise<Session | null> {
    const cache = this.cache;
    if (cache === null || !this.store.reachable || !isSessionId(id)) return this.get(id);
    const hit = cache.get(id);
    // A hit is served only while the session is live and needs no idle
    // refresh; otherwise the store decides (and get() refreshes it).
    if (hit !== undefined && this.fresh(hit)) return hit;
    const epoch = cache.epoch;
    const session = await this.get(id);
    if (session !== null) cache.set(session, epoch);
    else if (hit !== undefined) cache.invalidate(id);
    return session;
  }

  /**
   * Moves the session to a new id with `changes` applied and ends the old id,
   * so an id known before a privilege change (e.g. verification) is useless after it.
   */
  async rotate(session: Session, changes: SessionChanges): Promise<Session> {
    const now = this.now();
    const next: Session = { ...session, ...changes, id: newSessionId(), lastSeenAt: now };
    await this.save(next, now);
    await Promise.all([
      this.store.del(sessionKey(session.id)),
      this.store.srem(indexKey(session.username), session.id),
    ]);
    await this.announce({ id: session.id });
    return next;
  }

  /** Applies `changes` keeping the id (for changes that grant nothing, e.g. removing a device). */
  async update(session: Session, changes: SessionChanges): Promise<Session> {
    const now = this.now();
    const next: Session = { ...session, ...changes, lastSeenAt: now };
    if (this.expired(next, now)) {
      await this.destroy(session.id);
      return next;
    }
    await this.store.set(sessionKey(next.id), encode(next), this.ttlFor(next, now));
    await this.announce({ id: next.id });
    return next;
  }

  async destroy(id: string): Promise<void> {
    if (!isSessionId(id)) return;
    const raw = await this.store.get(sessionKey(id));
    await this.store.del(sessionKey(id));
    await this.announce({ id });
    const username = raw === null ? null : decode(id, raw)?.username;
    if (username) await this.store.srem(indexKey(username), id);
  }

  /** Ends every session of the user; returns how many were live. */
  async destroyAllFor(username: string): Promise<number> {
    const ids = (await this.store.smembers(indexKey(username))).filter(isSessionId);
    const live = await Promise.all(ids.map((id) => this.store.get(sessionKey(id))));
    if (ids.length > 0) await this.store.del(...ids.map(sessionKey), indexKey(username));
    else await this.store.del(indexKey(username));
    await this.announce({ user: username });
    return live.filter((raw) => raw !== null).length;
  }

  /** The user's live sessions, oldest first; ids of ended sessions are pruned from the index. */
  async listFor(username: string): Promise<Session[]> {
    const ids = await this.store.smembers(indexKey(username));
    const raws = await Promise.all(ids.map((id) => (isSessionId(id) ? this.store.get(sessionKey(id)) : null)));
    const now = this.now();
    const live: Session[] = [];
    const dead: string[] = [];
    ids.forEach((id, n) => {
      const raw = raws[n];
      const session = raw == null ? null : decode(id, raw);
      if (session && !this.expired(session, now)) live.push(session);
      else dead.push(id);
    });
    await Promise.all(dead.map((id) => this.store.srem(indexKey(username), id)));
    return live.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Tells every gateway (this one first) that a session ended or changed. */
  private async announce(inv: Invalidation): Promise<void> {
    if (this.cache !== null) {
      if ('id' in inv) this.cache.invalidate(inv.id);
      else this.cache.invalidateUser(inv.user);
    }
    await this.store.publish(INVALIDATION_CHANNEL, encodeInvalidation(inv));
  }

  /** A cached session may be served: live, and not yet due for its idle refresh. */
  private fresh(session: Session): boolean {
    const now = this.now();
    return now - session.lastSeenAt < this.refreshAfterMs && !this.expired(session, now);
  }

  private expired(session: Session, now: number): boolean {
    return now - session.lastSeenAt >= this.cfg.idleTimeoutMs || now - session.createdAt >= this.cfg.maxAgeMs;
  }

  private ttlFor(session: Session, now: number): number {
    return Math.max(1, Math.min(this.cfg.idleTimeoutMs, session.createdAt + this.cfg.maxAgeMs - now));
  }

  private async save(session: Session, now: number): Promise<void> {
    await this.store.set(sessionKey(session.id), encode(session), this.ttlFor(session, now));
    await this.store.sadd(indexKey(session.username), [session.id]);
  }
}

function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

function sessionKey(id: string): string {
  return `session:${id}`;
}

function indexKey(username: string): string {
  return `user:${username}:sessions`;
}

function encode(s: Session): string {
  const stored: StoredSession = {
    u: s.username,
    v: s.verified ? 1 : 0,
    d: s.device,
    h: s.hasDevice ? 1 : 0,
    c: s.createdAt,
    s: s.lastSeenAt,
    t: s.verifiedAt,
    i: s.ip,
    a: s.userAgent,
  };
  return JSON.stringify(stored);
}

/** Parses a stored session; anything malformed counts as no session. */
function decode(id: string, raw: string): Session | null {
  let v: Partial<StoredSession>;
  try {
    v = JSON.parse(raw) as Partial<StoredSession>;
  } catch {
    return null;
  }
  if (
    typeof v !== 'object' || v === null ||
    typeof v.u !== 'string' || typeof v.c !== 'number' || typeof v.s !== 'number' ||
    (v.d !== null && !(typeof v.d === 'string' && DEVICES.has(v.d)))
  ) {
    return null;
  }
  return {
    id,
    username: v.u,
    verified: v.v === 1,
    device: v.d ?? null,
    hasDevice: v.h === 1,
    createdAt: v.c,
    lastSeenAt: v.s,
    verifiedAt: typeof v.t === 'number' ? v.t : null,
    ip: typeof v.i === 'string' ? v.i : '',
    userAgent: typeof v.a === 'string' ? v.a : '',
  };
}
