// Maps the resolved `store.redis` config to the ioredis client to build and
// its options. Pure, so the choice between standalone, Sentinel and Cluster
// (and the failure-behaviour options every one of them needs) is testable
// without a live deployment.
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { HostPort, RedisConfig } from '../config/types.ts';
import { STORE_SCRIPTS } from './redis-scripts.ts';

/** A command that gets no reply within this time fails (a hung Redis must not hang the gateway). */
export const COMMAND_TIMEOUT_MS = 1500;
/** A connection that sends nothing back for this long while commands wait is dropped and redialled. */
export const SOCKET_TIMEOUT_MS = 2000;
export const CONNECT_TIMEOUT_MS = 2000;
/** Reconnect backoff: doubles from 50 ms, capped so recovery is noticed within about two seconds. */
export const RECONNECT_CAP_MS = 2000;

export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), RECONNECT_CAP_MS);
}

/**
 * Options shared by every connection. The offline queue is off and no command
 * is retried across reconnects: while Redis is unreachable every call fails
 * at once, so protected paths answer 503 instead of waiting.
 */
function connectionOptions(): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelay,
  };
}

export type RedisConnectionPlan =
  | { kind: 'standalone'; url: string; options: RedisOptions }
  | { kind: 'sentinel'; options: RedisOptions }
  | { kind: 'cluster'; nodes: HostPort[]; options: ClusterOptions };

export function planRedisConnection(config: RedisConfig): RedisConnectionPlan {
  const scripts = STORE_SCRIPTS;
  if (config.cluster !== null) {
    if (config.cluster.length === 0) throw new Error('store.redis.cluster lists no nodes');
    const { retryStrategy: _perNodeRetry, enableOfflineQueue: _perNodeQueue, ...perNode } = connectionOptions();
    return {
      kind: 'cluster',
      nodes: config.cluster.map((n) => ({ host: n.host, port: n.port })),
      options: {
        keyPrefix: config.keyPrefix,
        scripts,
        enableOfflineQueue: false,
        clusterRetryStrategy: reconnectDelay,
        // Every key the store touches lives in one slot per command, so a
        // MOVED redirect is the only reason to resend; keep that bounded.
        maxRedirections: 4,
        redisOptions: perNode,
      },
    };
  }
  if (config.sentinels !== null) {
    if (config.sentinels.length === 0) throw new Error('store.redis.sentinels lists no sentinels');
    if (config.name === null || config.name === '') throw new Error('store.redis.name is required with sentinels');
    return {
      kind: 'sentinel',
      options: {
        ...connectionOptions(),
        keyPrefix: config.keyPrefix,
        scripts,
        sentinels: config.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: config.name,
        sentinelRetryStrategy: reconnectDelay,
        sentinelCommandTimeout: COMMAND_TIMEOUT_MS,
      },
    };
  }
  if (config.url === null || config.url === '') throw new Error('store.redis needs url, sentinels or cluster');
  return {
    kind: 'standalone',
    url: config.url,
    options: { ...connectionOptions(), keyPrefix: config.keyPrefix, scripts },
  };
}
