// Builds the Store the configuration asks for.
import type { Config } from '../config/types.ts';
import { OtpgateError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { MemoryStore } from './memory.ts';
import { RedisStore } from './redis.ts';
import type { Store } from './types.ts';

export { MemoryStore } from './memory.ts';
export type { MemoryStoreOptions } from './memory.ts';
export { RedisStore } from './redis.ts';
export { StoreUnavailableError } from './types.ts';
export type { Store } from './types.ts';

export function createStore(config: Config['store'], logger: Logger): Store {
  if (config.redis === null) {
    logger.warn(
      { store: 'memory' },
      'using the embedded in-memory store: one process only, and sessions, devices and queued webhooks are lost on restart; configure store.redis for production',
    );
    return new MemoryStore();
  }
  return new RedisStore(config.redis, logger);
}

/**
 * For commands that need the shared store right away: waits for the first
 * connection (the memory store is always there) and otherwise fails with a
 * message that names the setting to check.
 */
export async function waitForStore(store: Store, waitMs = 5_000): Promise<void> {
  if (!(store instanceof RedisStore)) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new OtpgateError('STORE_UNAVAILABLE', `store.redis: cannot reach Redis within ${waitMs / 1000} s`)),
      waitMs,
    );
  });
  try {
    await Promise.race([store.whenReady(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
