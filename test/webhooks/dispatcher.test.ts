// The dispatcher against a real Redis and real HTTP receivers.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Webhook } from 'standardwebhooks';
import { MemoryStore } from '../../src/store/memory.ts';
import type { RedisStore } from '../../src/store/redis.ts';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import type { EventType } from '../../src/webhooks/events.ts';
import type { Received, Receiver } from './harness.ts';
import { ALL_EVENT_TYPES, endpoint, newSecret, recordingLogger, redisStore, sampleData, startReceiver, uniquePrefix } from './harness.ts';

const FAST = { schedule: [50, 50], pollMs: 20 };
const DELIVERED = 'webhook delivered';

async function deliveryCounts(registry: Registry): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric('otpgate_webhook_deliveries_total');
  assert.ok(metric, 'counter registered');
  const out: Record<string, number> = {};
  for (const v of (await metric.get()).values) out[String(v.labels.result)] = v.value;
  return out;
}

describe('WebhookDispatcher', () => {
  const stores: RedisStore[] = [];
  const receivers: Receiver[] = [];
  let prefix = '';

  async function freshStore(shared?: string): Promise<RedisStore> {
    prefix = shared ?? uniquePrefix();
    const store = await redisStore(prefix);
    stores.push(store);
    return store;
  }

  async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  }

  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await Promise.all(stores.map((s) => s.close()));
  });

  it('delivers every event type with its payload and a Standard Webhooks signature', async () => {
    const store = await freshStore();
    const secret = newSecret();
    const rx = await receiver();
    const logger = recordingLogger();
    const dispatcher = new WebhookDispatcher(store, [endpoint(`${rx.url}/hook`, secret)], { logger, ...FAST });
    dispatcher.start();
    try {
      const data = sampleData({ device: { name: 'backup', type: 'backup' }, reason: 'why' });
      for (const type of ALL_EVENT_TYPES) await dispatcher.emit(type, data);
      const got = await rx.waitFor(ALL_EVENT_TYPES.length);
      const verifier = new Webhook(secret.whsec);
      const types = new Set<string>();
      for (const req of got) {
        const payload = verifier.verify(req.body, req.headers as Record<string, string>) as { type: EventType; timestamp: string; data: unknown };
        types.add(payload.type);
        assert.equal(req.path, '/hook');
        assert.equal(req.headers['content-type'], 'application/json');
        assert.match(String(req.headers['webhook-id']), /^msg_/);
        assert.ok(!Number.isNaN(Date.parse(payload.timestamp)));
        assert.deepEqual(payload.data, data);
      }
      assert.deepEqual([...types].sort(), [...ALL_EVENT_TYPES].sort());
      assert.equal(new Set(got.map((r) => r.headers['webhook-id'])).size, ALL_EVENT_TYPES.length);
    } finally {
      await dispatcher.stop();
    }
  });

  it('sends each endpoint only the events it subscribed to, signed with its own secret', async () => {
    const store = await freshStore();
    const [a, b, c] = [newSecret(), newSecret(), newSecret()];
    const rx = await receiver();
    const logger = recordingLogger();
    const dispatcher = new WebhookDispatcher(
      store,
      [
        endpoint(`${rx.url}/a`, a, ['user.verified']),
        endpoint(`${rx.url}/b`, b, ['*']),
        endpoint(`${rx.url}/c`, c, ['device.enrolled']),
      ],
      { logger, ...FAST },
    );
    dispatcher.start();
    try {
      await dispatcher.emit('user.verified', sampleData());
      await dispatcher.emit('user.login_failed', sampleData());
      await logger.waitFor(DELIVERED, 3);
      await dispatcher.stop();
      const byPath = (p: string) => rx.requests.filter((r) => r.path === p);
      assert.deepEqual(byPath('/a').map((r) => JSON.parse(r.body).type), ['user.verified']);
      assert.deepEqual(byPath('/b').map((r) => JSON.parse(r.body).type).sort(), ['user.login_failed', 'user.verified']);
      assert.equal(byPath('/c').length, 0);
      for (const r of byPath('/a')) new Webhook(a.whsec).verify(r.body, r.headers as Record<string, string>);
      for (const r of byPath('/b')) new Webhook(b.whsec).verify(r.body, r.headers as Record<string, string>);
      // One event, two endpoints: the same webhook-id for both.
      const verifiedIds = rx.requests.filter((r) => JSON.parse(r.body).type === 'user.verified').map((r) => r.headers['webhook-id']);
      assert.equal(new Set(verifiedIds).size, 1);
    } finally {
      await dispatcher.stop();
    }
  });

  it('retries a receiver that answered 500 with the same webhook-id and body', async () => {
    const store = await freshStore();
    const secret = newSecret();
    const rx = await receiver((r, i) => r.res.writeHead(i === 0 ? 500 : 200).end());
    const registry = new Registry();
    const logger = recordingLogger();
    const dispatcher = new WebhookDispatcher(store, [endpoint(rx.url, secret)], { logger, registry, ...FAST });
    dispatcher.start();
    try {
      await dispatcher.emit('user.locked_out', sampleData());
      await logger.waitFor(DELIVERED, 1);
      const [first, second] = rx.requests;
      assert.ok(first && second && rx.requests.length === 2);
      assert.equal(first.headers['webhook-id'], second.headers['webhook-id']);
      assert.equal(first.body, second.body);
      new Webhook(secret.whsec).verify(second.body, second.headers as Record<string, string>);
      assert.deepEqual(await deliveryCounts(registry), { retried: 1, delivered: 1 });
    } finally {
      await dispatcher.stop();
    }
  });

  it('waits as long as Retry-After asks, in seconds or as an HTTP date', async () => {
    const store = await freshStore();
    const start = Date.now();
    let clock = start;
    const answers = [
      (r: Received) => r.res.writeHead(503, { 'retry-after': '120' }).end(),
      (r: Received) =>
        r.res.writeHead(429, { 'retry-after': new Date(start + 121_000 + 90_000).toUTCString() }).end(),
      (r: Received) => r.res.writeHead(204).end(),
    ];
    const rx = await receiver((r, i) => answers[i]?.(r));
    const dispatcher = new WebhookDispatcher(store, [endpoint(rx.url, newSecret())], {
      logger: recordingLogger(),
      schedule: [50, 50],
      now: () => clock,
    });
    await dispatcher.emit('user.otp_failed', sampleData());
    assert.equal(await dispatcher.runOnce(), 1); // 503, Retry-After: 120
    clock = start + 60_000; // the schedule alone would allow a retry by now
    assert.equal(await dispatcher.runOnce(), 0);
    clock = start + 121_000;
    assert.equal(await dispatcher.runOnce(), 1); // 429 with a date 90 s later
    clock = start + 121_000 + 60_000;
    assert.equal(await dispatcher.runOnce(), 0);
    clock = start + 121_000 + 91_000;
    assert.equal(await dispatcher.runOnce(), 1); // 204
    assert.equal(rx.requests.length, 3);
    assert.equal(await dispatcher.runOnce(), 0);
  });

  it('dead-letters after the last attempt, lists it, and delivers it once retried', async () => {
    const store = await freshStore();
    const secret = newSecret();
    let healthy = false;
    const rx = await receiver((r) => r.res.writeHead(healthy ? 204 : 500).end());
    let clock = Date.now();
    const registry = new Registry();
    const logger = recordingLogger();
    const dispatcher = new WebhookDispatcher(store, [endpoint(`${rx.url}/hook?token=s3cr3t-token`, secret)], {
      logger,
      registry,
      schedule: [50, 50],
      now: () => clock,
    });
    await dispatcher.emit('device.removed', sampleData());
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.equal(await dispatcher.runOnce(), 1);
      clock += 1_000;
    }
    assert.equal(await dispatcher.runOnce(), 0, 'nothing left to try after the last attempt');

    const failed = await dispatcher.listFailed();
    assert.equal(failed.length, 1);
    const [dead] = failed;
    assert.ok(dead);
    assert.equal(dead.type, 'device.removed');
    assert.equal(dead.attempts, 3);
    assert.equal(dead.url, `${rx.url}/hook`, 'no query string (it may hold a token)');
    assert.match(dead.lastError ?? '', /HTTP 500/);
    assert.deepEqual(await deliveryCounts(registry), { retried: 2, failed: 1 });

    // Each failed attempt is a warning, so a broken receiver is noticed before the last retry.
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    assert.deepEqual(
      warnings.map((e) => e.msg),
      ['webhook delivery failed; will retry', 'webhook delivery failed; will retry', 'webhook delivery failed permanently'],
    );
    const logged = JSON.stringify(logger.entries);
    assert.ok(!logged.includes('s3cr3t-token') && !logged.includes(secret.key.toString('base64')));

    assert.equal(await dispatcher.retry('dlv_unknown'), 0);
    healthy = true;
    assert.equal(await dispatcher.retry(dead.id), 1);
    assert.equal(await dispatcher.retry(dead.id), 0, 'already queued again');
    assert.equal(await dispatcher.runOnce(), 1);
    assert.equal(rx.requests.length, 4);
    assert.equal(new Set(rx.requests.map((r) => r.headers['webhook-id'])).size, 1);
    assert.deepEqual(await dispatcher.listFailed(), []);
    assert.equal((await deliveryCounts(registry)).delivered, 1);
  });

  it('retry("all") re-queues every dead delivery', async () => {
    const store = await freshStore();
    let healthy = false;
    const rx = await receiver((r) => r.res.writeHead(healthy ? 204 : 500).end());
    const dispatcher = new WebhookDispatcher(store, [endpoint(rx.url, newSecret())], { logger: recordingLogger(), schedule: [] });
    await dispatcher.emit('user.verified', sampleData());
    await dispatcher.emit('user.login_failed', sampleData());
    assert.equal(await dispatcher.runOnce(), 2);
    assert.equal((await dispatcher.listFailed()).length, 2);
    healthy = true;
    assert.equal(await dispatcher.retry('all'), 2);
    assert.equal(await dispatcher.runOnce(), 2);
    assert.deepEqual(await dispatcher.listFailed(), []);
  });

  it('delivers each event exactly once with two dispatchers on one Redis', async () => {
    const shared = uniquePrefix();
    const [storeA, storeB] = [await freshStore(shared), await freshStore(shared)];
    const secret = newSecret();
    const rx = await receiver();
    const logger = recordingLogger();
    const endpoints = [endpoint(rx.url, secret)];
    const a = new WebhookDispatcher(storeA, endpoints, { logger, ...FAST });
    const b = new WebhookDispatcher(storeB, endpoints, { logger, ...FAST });
    a.start();
    b.start();
    try {
      const emits: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        const data = sampleData({ user: { username: `user${i}`, email: null } });
        emits.push((i % 2 === 0 ? a : b).emit('user.verified', data));
      }
      await Promise.all(emits);
      await logger.waitFor(DELIVERED, 50);
      await Promise.all([a.stop(), b.stop()]);
      assert.equal(rx.requests.length, 50);
      assert.equal(new Set(rx.requests.map((r) => r.headers['webhook-id'])).size, 50);
      assert.equal(new Set(rx.requests.map((r) => JSON.parse(r.body).data.user.username)).size, 50);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('resolves emit without waiting for a receiver that takes 10 s to answer', async () => {
    const store = await freshStore();
    const order: string[] = [];
    const held: Array<() => void> = [];
    const rx = await receiver((r) => {
      order.push('received');
      const answer = () => {
        if (r.res.headersSent) return;
        order.push('answered');
        r.res.writeHead(204).end();
      };
      const timer = setTimeout(answer, 10_000);
      held.push(() => {
        clearTimeout(timer);
        answer();
      });
    });
    const logger = recordingLogger();
    const dispatcher = new WebhookDispatcher(store, [endpoint(rx.url, newSecret())], { logger, ...FAST, timeoutMs: 15_000 });
    dispatcher.start();
    try {
      await dispatcher.emit('user.verified', sampleData());
      order.push('emit resolved');
      await rx.waitFor(1);
      for (const release of held) release();
      await logger.waitFor(DELIVERED, 1);
      assert.ok(order.indexOf('emit resolved') < order.indexOf('answered'), order.join(' → '));
    } finally {
      await dispatcher.stop();
    }
  });

  it('stop() abandons a request in flight and leaves it due at once for another instance', async () => {
    const shared = uniquePrefix();
    const [storeA, storeB] = [await freshStore(shared), await freshStore(shared)];
    const secret = newSecret();
    // The first request is never answered; the next one is.
    const rx = await receiver((r, i) => {
      if (i > 0) r.res.writeHead(204).end();
    });
    const a = new WebhookDispatcher(storeA, [endpoint(rx.url, secret)], { logger: recordingLogger(), ...FAST });
    a.start();
    await a.emit('device.enrolled', sampleData());
    await rx.waitFor(1);
    await a.stop();
    // Default 60 s lease: only the hand-back makes it claimable now.
    const b = new WebhookDispatcher(storeB, [endpoint(rx.url, secret)], { logger: recordingLogger(), ...FAST });
    assert.equal(await b.runOnce(), 1);
    assert.equal(rx.requests.length, 2);
    assert.equal(rx.requests[0]?.headers['webhook-id'], rx.requests[1]?.headers['webhook-id']);
    assert.equal(await b.runOnce(), 0);
  });

  it('works on the in-memory store too', async () => {
    const rx = await receiver();
    const logger = recordingLogger();
    const dispatcher = new WebhookDispatcher(new MemoryStore(), [endpoint(rx.url, newSecret())], { logger, ...FAST });
    dispatcher.start();
    try {
      await dispatcher.emit('backup_codes.regenerated', sampleData());
      const [req] = await rx.waitFor(1);
      assert.equal(JSON.parse(req?.body ?? '{}').type, 'backup_codes.regenerated');
    } finally {
      await dispatcher.stop();
    }
  });

  it('does not touch the store for an event nobody subscribed to', async () => {
    const store = new MemoryStore();
    const dispatcher = new WebhookDispatcher(store, [endpoint('http://127.0.0.1:9/', newSecret(), ['user.verified'])], {
      logger: recordingLogger(),
    });
    await dispatcher.emit('user.login_failed', sampleData());
    assert.deepEqual(await store.zrange('webhook:due', 10), []);
  });

  it('refuses a lease shorter than the request timeout', () => {
    assert.throws(() => new WebhookDispatcher(new MemoryStore(), [], { logger: recordingLogger(), leaseMs: 1_000, timeoutMs: 5_000 }), RangeError);
  });
});
