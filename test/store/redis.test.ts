import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis.ts';
import { storeContract } from './contract.ts';
import { deleteKeysWithPrefix, recordingLogger, redisContractSubject, redisUrl, standaloneConfig, uniquePrefix } from './redis-harness.ts';

storeContract('RedisStore (standalone)', { movableClock: false }, async () => {
  const prefix = uniquePrefix('contract');
  return redisContractSubject(standaloneConfig(redisUrl(), prefix), async () => {
    const raw = new Redis(redisUrl());
    await deleteKeysWithPrefix(raw, prefix);
    await raw.quit();
  });
});

describe('RedisStore on a live Redis', () => {
  const prefix = uniquePrefix('raw');
  const logger = recordingLogger();
  let store: RedisStore;
  let raw: Redis;

  before(async () => {
    store = new RedisStore(standaloneConfig(redisUrl(), prefix), logger);
    raw = new Redis(redisUrl());
    await store.whenReady();
  });
  after(async () => {
    await deleteKeysWithPrefix(raw, prefix);
    await store.close();
    await raw.quit();
  });

  test('every key it writes carries the key prefix', async () => {
    await store.set('s', 'v');
    await store.setIfAbsent('nx', 'v');
    await store.incr('n', 10_000);
    await store.raiseTo('r', 3);
    await store.sadd('set', ['a']);
    await store.zadd('z', 5, 'm');
    await store.claimDue('z', 10, 1_000, 1);
    assert.deepEqual((await raw.keys(`${prefix}*`)).sort(), ['n', 'nx', 'r', 's', 'set', 'z'].map((k) => prefix + k));
    assert.equal(await raw.exists('s', 'n', 'r', 'z'), 0, 'nothing written without the prefix');
    assert.equal(await raw.get(`${prefix}r`), '3');
    assert.deepEqual(await raw.zrange(`${prefix}z`, 0, -1, 'WITHSCORES'), ['m', '1010']);
  });

  test('reads through the prefix what others wrote under it', async () => {
    await raw.set(`${prefix}written-raw`, 'hello');
    assert.equal(await store.get('written-raw'), 'hello');
    await store.del('written-raw');
    assert.equal(await raw.exists(`${prefix}written-raw`), 0);
  });

  test('whenReady resolves at once on a ready connection', async () => {
    await store.whenReady();
  });

  test('logs nothing above debug while Redis is healthy', () => {
    assert.deepEqual(
      logger.lines.filter((l) => l.level !== 'debug'),
      [],
    );
  });
});
