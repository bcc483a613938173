// Fail-closed behaviour: while Redis is down or hung, calls reject with
// StoreUnavailableError instead of hanging, and the store recovers by itself.
// Each test runs its own redis-server so it can stop and freeze it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { freePort, startRedis } from '../../scripts/redis-server.mjs';
import { silentLogger } from '../../src/logger.ts';
import { RedisStore } from '../../src/store/redis.ts';
import { StoreUnavailableError } from '../../src/store/types.ts';
import { recordingLogger, standaloneConfig } from './redis-harness.ts';

describe('RedisStore when Redis is unavailable', { timeout: 30_000 }, () => {
  test('rejects while Redis is stopped, recovers once it is back, and logs the outage once each way', async () => {
    let server = await startRedis();
    const logger = recordingLogger();
    const store = new RedisStore(standaloneConfig(server.url, 'outage:'), logger);
    try {
      await store.whenReady();
      assert.equal(store.reachable, true);
      await store.set('k', 'before');
      assert.equal(await store.raiseTo('step', 1), true);

      // A restarted server has no script cache: EVALSHA must fall back to EVAL.
      const raw = new Redis(server.url);
      await raw.script('FLUSH');
      await raw.quit();
      assert.equal(await store.raiseTo('step', 2), true);

      await server.stop();
      for (let i = 0; i < 5; i++) await assert.rejects(store.get('k'), StoreUnavailableError);
      assert.equal(store.reachable, false, 'known to be down without another round trip');
      await assert.rejects(store.set('k', 'during'), StoreUnavailableError);
      await assert.rejects(store.srem('codes', 'x'), StoreUnavailableError);
      await assert.rejects(store.claimDue('queue', 1, 1_000, 10), StoreUnavailableError);
      await assert.rejects(store.ping(), StoreUnavailableError);

      server = await startRedis({ port: server.port });
      await store.whenReady();
      assert.equal(store.reachable, true);
      await store.ping();
      await store.set('k', 'after');
      assert.equal(await store.get('k'), 'after');
      assert.equal(await store.raiseTo('step', 3), true);
      await store.zadd('queue', 1, 'job');
      assert.deepEqual(await store.claimDue('queue', 1, 1_000, 10), ['job']);

      assert.equal(logger.at('warn').length, 1, `warnings: ${JSON.stringify(logger.at('warn'))}`);
      assert.equal(logger.at('info').length, 1, `info lines: ${JSON.stringify(logger.at('info'))}`);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  test('a Redis that stops answering fails calls instead of hanging, and recovers when it answers again', async () => {
    const server = await startRedis();
    const store = new RedisStore(standaloneConfig(server.url, 'frozen:'), silentLogger);
    try {
      await store.whenReady();
      await store.set('k', 'v');
      server.proc.kill('SIGSTOP');
      await assert.rejects(store.get('k'), StoreUnavailableError);
      await assert.rejects(store.incr('n', 1_000), StoreUnavailableError);
      server.proc.kill('SIGCONT');
      await store.whenReady();
      assert.equal(await store.get('k'), 'v');
    } finally {
      server.proc.kill('SIGCONT');
      await store.close();
      await server.stop();
    }
  });

  test('a server that accepts connections but never answers fails calls with StoreUnavailableError', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.resume(); // read and ignore everything
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    const connected = once(silent, 'connection');
    const store = new RedisStore(standaloneConfig(`redis://127.0.0.1:${port}`, 'silent:'), silentLogger);
    try {
      await connected;
      const ready = store.whenReady();
      await assert.rejects(store.get('k'), StoreUnavailableError);
      await assert.rejects(store.setIfAbsent('k', 'v', 1_000), StoreUnavailableError);
      await assert.rejects(store.ping(), StoreUnavailableError);
      await store.close();
      await assert.rejects(ready, StoreUnavailableError, 'whenReady gives up when the store is closed');
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test('nothing listening at all: standalone, Sentinel and Cluster configs all reject at once', async () => {
    const port = await freePort();
    const node = { host: '127.0.0.1', port };
    const stores = [
      new RedisStore(standaloneConfig(`redis://127.0.0.1:${port}`, 'none:'), silentLogger),
      new RedisStore({ url: null, sentinels: [node], name: 'mymaster', cluster: null, keyPrefix: 'none:' }, silentLogger),
      new RedisStore({ url: null, sentinels: null, name: null, cluster: [node], keyPrefix: 'none:' }, silentLogger),
    ];
    try {
      for (const store of stores) {
        await assert.rejects(store.get('k'), StoreUnavailableError);
        await assert.rejects(store.srem('s', 'm'), StoreUnavailableError);
        await assert.rejects(store.ping(), StoreUnavailableError);
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
