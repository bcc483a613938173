// The store contract on a real three-master Redis Cluster: scripts and
// multi-key calls must work whatever slots the keys hash to.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import type { RedisConfig } from '../../src/config/types.ts';
import { silentLogger } from '../../src/logger.ts';
import { RedisStore } from '../../src/store/redis.ts';
import { startCluster } from './cluster-harness.ts';
import type { RunningCluster } from './cluster-harness.ts';
import { storeContract } from './contract.ts';
import { redisContractSubject } from './redis-harness.ts';

let cluster: RunningCluster | null = null;
async function sharedCluster(): Promise<RunningCluster> {
  cluster ??= await startCluster();
  return cluster;
}
after(async () => {
  await cluster?.stop();
});

function clusterConfig(c: RunningCluster, keyPrefix: string): RedisConfig {
  return { url: null, sentinels: null, name: null, cluster: c.nodes, keyPrefix };
}

storeContract('RedisStore (cluster)', { movableClock: false }, async () => {
  const c = await sharedCluster();
  return redisContractSubject(clusterConfig(c, 'contract:'));
});

describe('RedisStore on a cluster', () => {
  let store: RedisStore;
  let raw: Cluster;

  before(async () => {
    const c = await sharedCluster();
    store = new RedisStore(clusterConfig(c, 'prefixed:'), silentLogger);
    raw = new Cluster(c.nodes);
    await store.whenReady();
  });
  after(async () => {
    await store.close();
    await raw.quit();
  });

  test('keys spread over the nodes all carry the key prefix', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `key-${i}`);
    for (const name of names) await store.set(name, name);
    const found: string[] = [];
    for (const node of raw.nodes('master')) found.push(...(await node.keys('*')));
    const ours = found.filter((k) => k.startsWith('prefixed:')).sort();
    assert.deepEqual(ours, names.map((n) => `prefixed:${n}`).sort());
    const holders = await Promise.all(raw.nodes('master').map((n) => n.dbsize()));
    assert.ok(holders.filter((n) => n > 0).length > 1, 'keys landed on more than one node');
    await store.del(...names);
    for (const name of names) assert.equal(await store.get(name), null);
  });
});
