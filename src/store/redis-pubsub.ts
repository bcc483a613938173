// The subscriber side of RedisStore's pub/sub: one dedicated connection per
// store (a connection in subscriber mode can run nothing else), shared by
// every subscription.
//
// Pub/sub delivers at most once: whatever is published while this link is
// down is lost. So the link reports its state to every subscription:
// onResync(false) as soon as it is lost, onResync(true) once SUBSCRIBE has
// been acknowledged again on a fresh connection (ioredis' own silent
// resubscribe is switched off for that reason). A PING every second notices a
// link that died without closing, within the command timeout.
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../logger.ts';
import { CONNECT_TIMEOUT_MS } from './redis-options.ts';
import { StoreUnavailableError } from './types.ts';

const PING_INTERVAL_MS = 1000;

interface Subscription {
  onMessage: (message: string) => void;
  onResync: (live: boolean) => void;
  /** Settles the subscribe() call once its first attempt has an outcome. */
  settle: (() => void) | null;
}

export class RedisSubscriber {
  private conn: Redis | null = null;
  /** Full (prefixed) channel name -> its subscriptions. */
  private readonly subs = new Map<string, Set<Subscription>>();
  /** Every subscription currently has SUBSCRIBE acknowledged on the live connection. */
  private live = false;
  /** Bumped on every loss, so an acknowledgement that arrives after a loss counts for nothing. */
  private generation = 0;
  private pinger: NodeJS.Timeout | null = null;
  private closed = false;

  /** `connect` builds a new, not yet connected, ioredis connection with the given extra options. */
  constructor(
    private readonly connect: (extra: RedisOptions) => Redis,
    private readonly logger: Logger,
  ) {}

  async subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onResync: (live: boolean) => void,
  ): Promise<() => Promise<void>> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    let settleFirst: () => void = () => {};
    const first = new Promise<void>((resolve) => {
      settleFirst = resolve;
    });
    const timer = setTimeout(settleFirst, CONNECT_TIMEOUT_MS);
    timer.unref();
    const sub: Subscription = {
      onMessage,
      onResync,
      settle: () => {
        clearTimeout(timer);
        settleFirst();
      },
    };
    let set = this.subs.get(channel);
    if (set === undefined) this.subs.set(channel, (set = new Set()));
    set.add(sub);

    if (this.conn === null) this.open();
    else if (this.live) void this.subscribeOne(this.conn, channel, sub);
    await first;
    return () => this.unsubscribe(channel, sub);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.markLost();
    for (const set of this.subs.values()) for (const sub of set) this.settle(sub);
    this.subs.clear();
    this.shut();
  }

  // --- internals -------------------------------------------------------------

  private open(): void {
    const conn = this.connect({ autoResubscribe: false, enableOfflineQueue: false, lazyConnect: false });
    this.conn = conn;
    conn.on('ready', () => {
      if (conn === this.conn) void this.resync(conn);
    });
    conn.on('message', (channel: string, message: string) => {
      if (conn !== this.conn) return;
      const set = this.subs.get(channel);
      if (set === undefined) return;
      for (const sub of [...set]) sub.onMessage(message);
    });
    conn.on('error', (err: Error) => {
      if (conn !== this.conn) return;
      if (conn.status !== 'ready') this.lost(err.message);
    });
    conn.on('close', () => {
      if (conn === this.conn) this.lost('connection closed');
    });
    this.pinger = setInterval(() => {
      if (conn !== this.conn || !this.live) return;
      conn.ping().catch(() => {
        // No answer in time: drop the link and redial (the drop reports the loss).
        if (conn === this.conn && this.live) conn.disconnect(true);
      });
    }, PING_INTERVAL_MS);
    this.pinger.unref();
  }

  /** Drops the connection (no reconnect). */
  private shut(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
    const conn = this.conn;
    this.conn = null;
    this.live = false;
    conn?.disconnect(false);
  }

  /** On a fresh connection: SUBSCRIBE to every channel, then tell every subscription it is live. */
  private async resync(conn: Redis): Promise<void> {
    const generation = this.generation;
    const done = new Set<string>();
    try {
      // Subscriptions added while this runs are picked up by the next round.
      for (;;) {
        const missing = [...this.subs.keys()].filter((c) => !done.has(c));
        if (missing.length === 0) break;
        await conn.subscribe(...missing);
        if (conn !== this.conn || generation !== this.generation) return;
        for (const c of missing) done.add(c);
      }
    } catch (err) {
      if (conn === this.conn && generation === this.generation) {
        this.logger.warn({ store: 'redis', err: (err as Error).message }, 'store subscription failed; retrying');
        conn.disconnect(true);
      }
      return;
    }
    if (conn !== this.conn || generation !== this.generation) return;
    if (this.subs.size === 0) return;
    if (!this.live) this.logger.debug({ store: 'redis' }, 'store subscription in place');
    this.live = true;
    for (const set of this.subs.values()) {
      for (const sub of [...set]) {
        sub.onResync(true);
        this.settle(sub);
      }
    }
  }

  /** A subscription added while the link is live: SUBSCRIBE its channel alone. */
  private async subscribeOne(conn: Redis, channel: string, sub: Subscription): Promise<void> {
    const generation = this.generation;
    try {
      await conn.subscribe(channel);
    } catch {
      // The link is broken or about to be: a reconnect resyncs every subscription.
      if (conn === this.conn && generation === this.generation) conn.disconnect(true);
      return;
    }
    if (conn !== this.conn || generation !== this.generation || !this.subs.get(channel)?.has(sub)) return;
    sub.onResync(true);
    this.settle(sub);
  }

  private lost(reason: string): void {
    const wasLive = this.live;
    this.markLost();
    if (wasLive) {
      this.logger.warn({ store: 'redis', err: reason }, 'store subscription lost; resubscribing when the connection is back');
    }
    // A first attempt that failed still settles its subscribe() call.
    for (const set of this.subs.values()) for (const sub of set) this.settle(sub);
  }

  /** From now on messages may be missed: every subscription hears so once. */
  private markLost(): void {
    this.generation += 1;
    if (!this.live) return;
    this.live = false;
    for (const set of this.subs.values()) for (const sub of [...set]) sub.onResync(false);
  }

  private settle(sub: Subscription): void {
    const settle = sub.settle;
    sub.settle = null;
    settle?.();
  }

  private async unsubscribe(channel: string, sub: Subscription): Promise<void> {
    const set = this.subs.get(channel);
    if (!set?.delete(sub)) return;
    this.settle(sub);
    if (set.size > 0) return;
    this.subs.delete(channel);
    if (this.subs.size === 0) {
      this.shut();
      return;
    }
    const conn = this.conn;
    if (conn !== null && this.live) await conn.unsubscribe(channel).catch(() => undefined);
  }
}
