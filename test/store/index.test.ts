import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStore } from '../../src/store/index.ts';
import { recordingLogger, redisUrl, standaloneConfig, uniquePrefix } from './redis-harness.ts';

test('createStore without redis gives the in-memory store and warns that it is for one process only', async () => {
  const logger = recordingLogger();
  const store = createStore({ redis: null }, logger);
  try {
    assert.equal(store.kind, 'memory');
    await store.set('k', 'v');
    assert.equal(await store.get('k'), 'v');
    assert.equal(logger.at('warn').length, 1);
    assert.match(logger.at('warn')[0]!.msg ?? '', /in-memory.*restart/);
  } finally {
    await store.close();
  }
});

test('createStore with redis gives a working Redis store', async () => {
  const logger = recordingLogger();
  const store = createStore({ redis: standaloneConfig(redisUrl(), uniquePrefix('index')) }, logger);
  try {
    assert.equal(store.kind, 'redis');
    // No whenReady(): a call made right after start-up waits for the first connection.
    await store.set('k', 'v');
    assert.equal(await store.get('k'), 'v');
    await store.del('k');
    assert.equal(logger.at('warn').length, 0);
  } finally {
    await store.close();
  }
});
