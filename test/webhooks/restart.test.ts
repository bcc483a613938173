// A gateway killed with SIGKILL while a delivery is in flight: the delivery
// is not lost, and another instance sends it once the lease runs out.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { endpoint, newSecret, recordingLogger, redisStore, redisUrl, startReceiver, uniquePrefix } from './harness.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/emit-and-deliver.ts', import.meta.url));

it('delivers after the instance holding the delivery was killed with SIGKILL', async () => {
  const prefix = uniquePrefix();
  const secret = newSecret();
  // The first request is held open until the sender dies; the next is answered.
  const rx = await startReceiver((r, i) => {
    if (i > 0) r.res.writeHead(204).end();
  });
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, REDIS_URL: redisUrl(), KEY_PREFIX: prefix, RECEIVER_URL: rx.url, SECRET_BASE64: secret.key.toString('base64') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const store = await redisStore(prefix);
  let dispatcher: WebhookDispatcher | null = null;
  try {
    const [held] = await rx.waitFor(1);
    assert.ok(held);
    child.kill('SIGKILL');
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');

    const logger = recordingLogger();
    dispatcher = new WebhookDispatcher(store, [endpoint(rx.url, secret)], { logger, pollMs: 50, leaseMs: 5_000, timeoutMs: 2_000 });
    dispatcher.start();
    const [, redelivered] = await rx.waitFor(2);
    assert.ok(redelivered);
    await logger.waitFor('webhook delivered', 1);
    assert.equal(redelivered.headers['webhook-id'], held.headers['webhook-id']);
    assert.equal(redelivered.body, held.body);
    const payload = new Webhook(secret.whsec).verify(redelivered.body, redelivered.headers as Record<string, string>) as {
      type: string;
      data: { user: { username: string } };
    };
    assert.equal(payload.type, 'user.verified');
    assert.equal(payload.data.user.username, 'carol');
    assert.equal(await dispatcher.runOnce(), 0, 'nothing left in the queue');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await dispatcher?.stop();
    await store.close();
    await rx.close();
  }
});
