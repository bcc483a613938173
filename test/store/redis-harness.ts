// Shared set-up for tests that run the store against a live Redis.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisConfig } from '../../src/config/types.ts';
import type { Logger } from '../../src/logger.ts';
import { silentLogger } from '../../src/logger.ts';
import { RedisStore } from '../../src/store/redis.ts';
import type { ContractSubject } from './contract.ts';

export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests through scripts/run-tests.mjs');
  return url;
}

/** A key prefix no other test file uses, so files can share one Redis in parallel. */
export function uniquePrefix(label: string): string {
  return `test-${label}-${randomBytes(6).toString('hex')}:`;
}

export function standaloneConfig(url: string, keyPrefix: string): RedisConfig {
  return { url, sentinels: null, name: null, cluster: null, keyPrefix };
}

/** Deletes every key under `prefix`, looking at the raw keyspace. */
export async function deleteKeysWithPrefix(raw: Redis, prefix: string): Promise<void> {
  const keys = await raw.keys(`${prefix}*`);
  if (keys.length > 0) await raw.del(...keys);
}

export interface LogLine {
  level: 'info' | 'warn' | 'error' | 'debug';
  msg: string | undefined;
}

/** A Logger that keeps what it was told. */
export function recordingLogger(): Logger & { lines: LogLine[]; at(level: LogLine['level']): LogLine[] } {
  const lines: LogLine[] = [];
  const record = (level: LogLine['level']) => (obj: object | string, msg?: string) => {
    lines.push({ level, msg: typeof obj === 'string' ? obj : msg });
  };
  return {
    lines,
    at: (level) => lines.filter((l) => l.level === level),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    debug: record('debug'),
  };
}

/**
 * The contract suite's subject for RedisStore: two connected instances on one
 * config (for races), a way to open more, and `cleanup` run before closing.
 */
export async function redisContractSubject(config: RedisConfig, cleanup: () => Promise<void> = async () => {}): Promise<ContractSubject> {
  const store = new RedisStore(config, silentLogger);
  const peer = new RedisStore(config, silentLogger);
  await Promise.all([store.whenReady(), peer.whenReady()]);
  return {
    store,
    peer,
    advance: null,
    openSpare: async () => {
      const spare = new RedisStore(config, silentLogger);
      await spare.whenReady();
      return spare;
    },
    dispose: async () => {
      await cleanup();
      await Promise.all([store.close(), peer.close()]);
    },
  };
}
