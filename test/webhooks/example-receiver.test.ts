// The example receiver in examples/webhook-receiver, fed by the real dispatcher
// and by hand-made requests.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { EmailMessage, ReceivedEvent } from '../../examples/webhook-receiver/server.mjs';
import { createWebhookHandler } from '../../examples/webhook-receiver/server.mjs';
import { MemoryStore } from '../../src/store/memory.ts';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { signPayload, webhookHeaders } from '../../src/webhooks/sign.ts';
import { endpoint, newSecret, recordingLogger, sampleData } from './harness.ts';

describe('example webhook receiver', () => {
  const secret = newSecret();
  const handled: Array<{ event: ReceivedEvent; id: string }> = [];
  const emails: EmailMessage[] = [];
  let server: Server;
  let url = '';

  before(async () => {
    server = createServer(
      createWebhookHandler({
        secret: secret.whsec,
        onEvent: (event, id) => void handled.push({ event, id }),
        notify: (message) => void emails.push(message),
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
  });

  function post(headers: Record<string, string>, body: string): Promise<Response> {
    return fetch(url, { method: 'POST', headers, body });
  }

  const body = JSON.stringify({ type: 'user.login_failed', timestamp: new Date().toISOString(), data: sampleData() });
  const nowSec = () => Math.floor(Date.now() / 1000);

  it('accepts a delivery from the dispatcher and writes the backup-code warning', async () => {
    const logger = recordingLogger();
    const dispatcher = new WebhookDispatcher(new MemoryStore(), [endpoint(url, secret)], { logger, pollMs: 20 });
    dispatcher.start();
    try {
      await dispatcher.emit('user.verified', sampleData({ device: { name: 'backup', type: 'backup' } }));
      await dispatcher.emit('user.verified', sampleData({ device: { name: 'phone', type: 'totp' } }));
      await logger.waitFor('webhook delivered', 2);
    } finally {
      await dispatcher.stop();
    }
    assert.equal(handled.length, 2);
    assert.equal(emails.length, 1, 'only the backup-code login warns');
    const [email] = emails;
    assert.equal(email?.to, 'alice@example.com');
    assert.match(email?.subject ?? '', /backup code.*app\.example\.com/);
    assert.match(email?.text ?? '', /change your password/i);
  });

  it('answers 204 to a good request', async () => {
    const before = handled.length;
    const res = await post(webhookHeaders(secret.key, 'msg_good', nowSec(), body), body);
    assert.equal(res.status, 204);
    assert.equal(handled.length, before + 1);
  });

  it('accepts one good signature among several', async () => {
    const ts = nowSec();
    const headers = webhookHeaders(secret.key, 'msg_rotated', ts, body);
    headers['webhook-signature'] = `${signPayload(newSecret().key, 'msg_rotated', ts, body)} ${headers['webhook-signature']}`;
    assert.equal((await post(headers, body)).status, 204);
  });

  it('rejects a bad signature', async () => {
    const before = handled.length;
    const forged = await post(webhookHeaders(newSecret().key, 'msg_forged', nowSec(), body), body);
    assert.equal(forged.status, 401);
    const headers = webhookHeaders(secret.key, 'msg_tampered', nowSec(), body);
    const tampered = await post(headers, body.replace('alice', 'mallory'));
    assert.equal(tampered.status, 401);
    const unsigned = await post({ 'content-type': 'application/json' }, body);
    assert.equal(unsigned.status, 401);
    assert.equal(handled.length, before);
  });

  it('rejects a stale or future timestamp, even when signed', async () => {
    const before = handled.length;
    assert.equal((await post(webhookHeaders(secret.key, 'msg_old', nowSec() - 301, body), body)).status, 401);
    assert.equal((await post(webhookHeaders(secret.key, 'msg_future', nowSec() + 301, body), body)).status, 401);
    assert.equal(handled.length, before);
  });

  it('does not act on a replayed webhook-id', async () => {
    const headers = webhookHeaders(secret.key, 'msg_once', nowSec(), body);
    assert.equal((await post(headers, body)).status, 204);
    const before = handled.length;
    const replay = await post(headers, body);
    assert.equal(replay.status, 200);
    assert.match(await replay.text(), /duplicate/);
    // A retry with a new timestamp but the same id is the same event too.
    assert.equal((await post(webhookHeaders(secret.key, 'msg_once', nowSec() + 1, body), body)).status, 200);
    assert.equal(handled.length, before);
  });
});
