// The Store over Redis (standalone, Sentinel or Cluster) with ioredis.
//
// Failure behaviour is part of security: while Redis is unreachable every
// call rejects at once with StoreUnavailableError (no offline queue, no
// retries), a Redis that accepts but never answers fails a call after
// COMMAND_TIMEOUT_MS, ioredis keeps redialling in the background with a
// capped backoff, and calls work again by themselves once it is back. The
// outage is logged once when it starts and once when it ends.
//
// Only the very first connection is waited for: calls made right after
// construction (a CLI command, the first request after start-up) wait for
// the first dial to succeed or fail, at most CONNECT_TIMEOUT_MS.
import { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../config/types.ts';
import type { Logger } from '../logger.ts';
import { CONNECT_TIMEOUT_MS, planRedisConnection, reconnectDelay } from './redis-options.ts';
import { RedisSubscriber } from './redis-pubsub.ts';
import type { StoreScriptCommands } from './redis-scripts.ts';
import { StoreUnavailableError } from './types.ts';
import type { Store } from './types.ts';
import { checkFinite, ttlArgument } from './values.ts';

type Client = (Redis | Cluster) & StoreScriptCommands;

type LinkState = 'connecting' | 'up' | 'down' | 'closed';

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly client: Client;
  private readonly isCluster: boolean;
  private state: LinkState = 'connecting';
  private readyWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  /** Settles when the first dial has succeeded or failed (or took too long). */
  private readonly firstDial: Promise<void>;
  private settleFirstDial: () => void = () => {};
  private lastError: Error | null = null;
  /** The pub/sub side, on a connection of its own (opened on the first subscribe). */
  private readonly subscriber: RedisSubscriber;
  /** ioredis applies key_prefix to keys only; channel names get it here. */
  private readonly channelPrefix: string;

  constructor(
    config: RedisConfig,
    private readonly logger: Logger,
  ) {
    const plan = planRedisConnection(config);
    let client: Redis | Cluster;
    if (plan.kind === 'cluster') client = new Cluster(plan.nodes, plan.options);
    else if (plan.kind === 'sentinel') client = new Redis(plan.options);
    else client = new Redis(plan.url, plan.options);
    this.client = client as Client;
    this.isCluster = plan.kind === 'cluster';
    this.channelPrefix = config.keyPrefix;
    // A Cluster propagates PUBLISH to every node, so the subscriber may sit on
    // any one of them: a plain connection to the first node listed.
    // Named, so an operator can tell it apart in CLIENT LIST.
    const connectionName = `otpgate-sub:${config.keyPrefix}`.replace(/[^\w:.-]/g, '_');
    this.subscriber = new RedisSubscriber((extra) => {
      if (plan.kind !== 'cluster') return (client as Redis).duplicate({ ...extra, connectionName });
      const node = plan.nodes[0]!;
      return new Redis({ ...plan.options.redisOptions, retryStrategy: reconnectDelay, host: node.host, port: node.port, connectionName, ...extra });
    }, logger);
    this.firstDial = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CONNECT_TIMEOUT_MS);
      timer.unref();
      this.settleFirstDial = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.client.on('ready', () => this.onReady());
    // Without an 'error' listener ioredis prints every failed dial itself.
    // An error on a ready connection does not mean it is down (a 'close'
    // says that); an error while not ready is a failed dial (Sentinel
    // retries its dials without ever emitting 'close').
    this.client.on('error', (err: Error) => {
      this.lastError = err;
      if (this.client.status !== 'ready') this.onLost();
    });
    this.client.on('close', () => this.onLost());
  }

  get reachable(): boolean {
    // While the first dial is under way calls wait for it, so "connecting" counts as reachable.
    return this.state === 'up' || this.state === 'connecting';
  }

  /** Resolves once connected: at once when the connection is ready, else on the next 'ready'. */
  whenReady(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new StoreUnavailableError('store is closed'));
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private onReady(): void {
    if (this.state === 'closed') return;
    if (this.state === 'down') this.logger.info({ store: 'redis' }, 'store reachable again');
    else this.logger.debug({ store: 'redis' }, 'store connected');
    this.state = 'up';
    this.lastError = null;
    this.settleFirstDial();
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private onLost(): void {
    if (this.state === 'down' || this.state === 'closed') return;
    const reason = this.lastError?.message ?? 'connection closed';
    this.lastError = null;
    this.logger.warn(
      { store: 'redis', err: reason },
      this.state === 'up' ? 'store connection lost; requests needing it fail until it is back' : 'store unreachable; retrying',
    );
    this.state = 'down';
    this.settleFirstDial();
  }

  /** Runs one command, turning every failure into StoreUnavailableError. */
  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (this.state === 'connecting') await this.firstDial;
    if (this.state === 'closed') throw new StoreUnavailableError('store is closed');
    try {
      return await command();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new StoreUnavailableError(`store ${what} failed: ${reason}`, { cause: err });
    }
  }

  get(key: string): Promise<string | null> {
    return this.run('get', () => this.client.get(key));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    const ttl = ttlArgument(ttlMs);
    return this.run('set', async () => {
      if (ttl > 0) await this.client.set(key, value, 'PX', ttl);
      else await this.client.set(key, value);
    });
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    const ttl = ttlArgument(ttlMs);
    return this.run('setIfAbsent', async () => {
      const reply = ttl > 0 ? await this.client.set(key, value, 'PX', ttl, 'NX') : await this.client.set(key, value, 'NX');
      return reply === 'OK';
    });
  }

  async setIfPresent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    const ttl = ttlArgument(ttlMs);
    return this.run('setIfPresent', async () => {
      const reply = ttl > 0 ? await this.client.set(key, value, 'PX', ttl, 'XX') : await this.client.set(key, value, 'XX');
      return reply === 'OK';
    });
  }

  del(...keys: string[]): Promise<void> {
    if (keys.length === 0) return this.run('del', async () => {});
    return this.run('del', async () => {
      // A Cluster refuses one DEL over keys in different slots.
      if (this.isCluster) await Promise.all(keys.map((k) => this.client.del(k)));
      else await this.client.del(...keys);
    });
  }

  ttl(key: string): Promise<number> {
    return this.run('ttl', () => this.client.pttl(key));
  }

  async incr(key: string, ttlMs: number): Promise<number> {
    const ttl = ttlArgument(ttlMs);
    return this.run('incr', async () => Number(await this.client.otpgateIncrWithTtl(key, String(ttl))));
  }

  async raiseTo(key: string, value: number, ttlMs?: number): Promise<boolean> {
    checkFinite(value, 'raiseTo value');
    const ttl = ttlArgument(ttlMs);
    return this.run('raiseTo', async () => (await this.client.otpgateRaiseTo(key, String(value), String(ttl))) === 1);
  }

  sadd(key: string, members: string[]): Promise<void> {
    return this.run('sadd', async () => {
      if (members.length > 0) await this.client.sadd(key, ...members);
    });
  }

  srem(key: string, member: string): Promise<boolean> {
    return this.run('srem', async () => (await this.client.srem(key, member)) === 1);
  }

  smembers(key: string): Promise<string[]> {
    return this.run('smembers', () => this.client.smembers(key));
  }

  scard(key: string): Promise<number> {
    return this.run('scard', () => this.client.scard(key));
  }

  async zadd(key: string, score: number, member: string): Promise<void> {
    checkFinite(score, 'zadd score');
    return this.run('zadd', async () => {
      await this.client.zadd(key, String(score), member);
    });
  }

  zrem(key: string, member: string): Promise<boolean> {
    return this.run('zrem', async () => (await this.client.zrem(key, member)) === 1);
  }

  zrange(key: string, limit: number): Promise<Array<{ member: string; score: number }>> {
    return this.run('zrange', async () => {
      if (limit <= 0) return [];
      const flat = await this.client.zrange(key, 0, Math.floor(limit) - 1, 'WITHSCORES');
      const out: Array<{ member: string; score: number }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, score: Number(flat[i + 1]) });
      return out;
    });
  }

  async claimDue(key: string, now: number, leaseMs: number, limit: number): Promise<string[]> {
    checkFinite(now, 'claimDue now');
    checkFinite(leaseMs, 'claimDue leaseMs');
    return this.run('claimDue', async () => {
      if (limit <= 0) return [];
      return this.client.otpgateClaimDue(key, String(now), String(now + leaseMs), String(Math.floor(limit)));
    });
  }

  publish(channel: string, message: string): Promise<void> {
    return this.run('publish', async () => {
      await this.client.publish(this.channelPrefix + channel, message);
    });
  }

  async subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onResync: (live: boolean) => void,
  ): Promise<() => Promise<void>> {
    if (this.state === 'closed') throw new StoreUnavailableError('store is closed');
    return this.subscriber.subscribe(this.channelPrefix + channel, onMessage, onResync);
  }

  ping(): Promise<void> {
    return this.run('ping', async () => {
      await this.client.ping();
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.settleFirstDial();
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(new StoreUnavailableError('store is closed'));
    await this.subscriber.close();
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through: drop the connection instead
      }
    }
    this.client.disconnect();
  }
}
