import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RedisConfig } from '../../src/config/types.ts';
import {
  COMMAND_TIMEOUT_MS,
  RECONNECT_CAP_MS,
  planRedisConnection,
  reconnectDelay,
} from '../../src/store/redis-options.ts';
import { STORE_SCRIPTS } from '../../src/store/redis-scripts.ts';

const none: RedisConfig = { url: null, sentinels: null, name: null, cluster: null, keyPrefix: 'otpgate:' };

test('a url builds a standalone client that fails fast while disconnected', () => {
  const plan = planRedisConnection({ ...none, url: 'redis://10.0.0.5:6380/2' });
  assert.equal(plan.kind, 'standalone');
  assert.ok(plan.kind === 'standalone');
  assert.equal(plan.url, 'redis://10.0.0.5:6380/2');
  assert.equal(plan.options.keyPrefix, 'otpgate:');
  assert.equal(plan.options.enableOfflineQueue, false);
  assert.equal(plan.options.maxRetriesPerRequest, 0);
  assert.equal(plan.options.commandTimeout, COMMAND_TIMEOUT_MS);
  assert.ok(COMMAND_TIMEOUT_MS >= 1000 && COMMAND_TIMEOUT_MS <= 2000);
  assert.ok((plan.options.socketTimeout ?? 0) > 0, 'a silent connection is dropped');
  assert.equal(plan.options.retryStrategy, reconnectDelay, 'keeps reconnecting');
  assert.equal(plan.options.scripts, STORE_SCRIPTS);
});

test('sentinels + name build a Sentinel-backed client', () => {
  const plan = planRedisConnection({
    ...none,
    sentinels: [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
    ],
    name: 'mymaster',
  });
  assert.equal(plan.kind, 'sentinel');
  assert.deepEqual(plan.options.sentinels, [
    { host: 's1', port: 26379 },
    { host: 's2', port: 26380 },
  ]);
  assert.equal(plan.options.name, 'mymaster');
  assert.equal(plan.options.keyPrefix, 'otpgate:');
  assert.equal(plan.options.enableOfflineQueue, false);
  assert.equal(plan.options.maxRetriesPerRequest, 0);
  assert.equal(plan.options.commandTimeout, COMMAND_TIMEOUT_MS);
  assert.equal(typeof plan.options.sentinelRetryStrategy, 'function');
});

test('cluster nodes build a Cluster client with the per-node options underneath', () => {
  const plan = planRedisConnection({
    ...none,
    cluster: [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ],
  });
  assert.ok(plan.kind === 'cluster');
  assert.deepEqual(plan.nodes, [
    { host: '10.0.0.1', port: 7000 },
    { host: '10.0.0.2', port: 7001 },
  ]);
  assert.equal(plan.options.keyPrefix, 'otpgate:');
  assert.equal(plan.options.enableOfflineQueue, false);
  assert.equal(plan.options.clusterRetryStrategy, reconnectDelay);
  assert.equal(plan.options.scripts, STORE_SCRIPTS);
  assert.equal(plan.options.redisOptions?.commandTimeout, COMMAND_TIMEOUT_MS);
  assert.equal(plan.options.redisOptions?.maxRetriesPerRequest, 0);
  assert.ok(!('retryStrategy' in (plan.options.redisOptions ?? {})), 'Cluster rejects retryStrategy per node');
  assert.ok(!('enableOfflineQueue' in (plan.options.redisOptions ?? {})));
});

test('cluster wins over sentinels, which win over url', () => {
  const node = { host: 'h', port: 1 };
  assert.equal(planRedisConnection({ ...none, url: 'redis://x', sentinels: [node], name: 'm', cluster: [node] }).kind, 'cluster');
  assert.equal(planRedisConnection({ ...none, url: 'redis://x', sentinels: [node], name: 'm' }).kind, 'sentinel');
});

test('incomplete configs are refused rather than guessed', () => {
  assert.throws(() => planRedisConnection(none), /url, sentinels or cluster/);
  assert.throws(() => planRedisConnection({ ...none, sentinels: [{ host: 'h', port: 1 }] }), /name/);
  assert.throws(() => planRedisConnection({ ...none, sentinels: [], name: 'm' }), /sentinels/);
  assert.throws(() => planRedisConnection({ ...none, cluster: [] }), /cluster/);
});

test('reconnect delays grow and stay capped', () => {
  const delays = Array.from({ length: 30 }, (_, i) => reconnectDelay(i + 1));
  assert.equal(delays[0], 50);
  for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! >= delays[i - 1]!);
  assert.equal(Math.max(...delays), RECONNECT_CAP_MS);
});
