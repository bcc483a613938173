import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { parseWhsec, signPayload, webhookHeaders } from '../../src/webhooks/sign.ts';
import { newSecret } from './harness.ts';

describe('signPayload', () => {
  it('produces a signature the standardwebhooks package accepts', () => {
    const secret = newSecret();
    const body = JSON.stringify({ type: 'ping', timestamp: '2026-12-03T15:20:05.000Z', data: { ü: 'ö' } });
    const ts = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(secret.key, 'msg_abc', ts, body);
    assert.deepEqual(new Webhook(secret.whsec).verify(body, headers), JSON.parse(body));
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['webhook-timestamp'], String(ts));
  });

  it('matches the package signature byte for byte', () => {
    const secret = newSecret();
    const ts = 1_700_000_000;
    assert.equal(signPayload(secret.key, 'msg_1', ts, '{"a":1}'), new Webhook(secret.whsec).sign('msg_1', new Date(ts * 1000), '{"a":1}'));
  });

  it('changes with the id, the timestamp, the body and the key', () => {
    const a = newSecret().key;
    const base = signPayload(a, 'msg_1', 100, 'x');
    assert.notEqual(signPayload(a, 'msg_2', 100, 'x'), base);
    assert.notEqual(signPayload(a, 'msg_1', 101, 'x'), base);
    assert.notEqual(signPayload(a, 'msg_1', 100, 'y'), base);
    assert.notEqual(signPayload(newSecret().key, 'msg_1', 100, 'x'), base);
  });
});

describe('parseWhsec', () => {
  it('decodes a whsec_ secret', () => {
    const secret = newSecret();
    assert.deepEqual(parseWhsec(secret.whsec), secret.key);
  });

  it('refuses anything else without echoing it', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    for (const bad of [key, `whsec_${key}!`, 'whsec_', `whsec_${Buffer.alloc(8, 1).toString('base64')}`, 'whsec_a']) {
      assert.throws(
        () => parseWhsec(bad),
        (err: Error) => !err.message.includes(key),
      );
    }
  });
});
