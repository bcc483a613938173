import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextRetryDelay, MAX_RETRY_AFTER_MS } from '../../src/webhooks/backoff.ts';
import type { EventData } from '../../src/webhooks/events.ts';
import { buildEvent, eventBody } from '../../src/webhooks/events.ts';
import { parseRetryAfter } from '../../src/webhooks/send.ts';
import { sampleData } from './harness.ts';

describe('buildEvent', () => {
  it('stamps the event and gives each a unique msg_ id', () => {
    const now = new Date('2026-12-03T15:20:05.000Z');
    const a = buildEvent('user.verified', sampleData({ device: { name: 'backup', type: 'backup' } }), now);
    const b = buildEvent('user.verified', sampleData(), now);
    assert.match(a.id, /^msg_[A-Za-z0-9_-]{16,}$/);
    assert.notEqual(a.id, b.id);
    assert.deepEqual(JSON.parse(eventBody(a)), {
      type: 'user.verified',
      timestamp: '2026-12-03T15:20:05.000Z',
      data: {
        user: { username: 'alice', email: 'alice@example.com' },
        device: { name: 'backup', type: 'backup' },
        request: { ip: '203.0.113.9', user_agent: 'Mozilla/5.0 (test)', path: '/admin/', site: 'app.example.com' },
      },
    });
  });

  it('copies only the named fields, so a password or code passed by mistake never leaves', () => {
    const leaky = {
      ...sampleData({ reason: 'bad code' }),
      password: 'hunter2',
      user: { username: 'bob', email: null, password: 'hunter2', totpSecret: 'JBSWY3DPEHPK3PXP' },
      request: { ...sampleData().request, code: '123456' },
    } as unknown as EventData;
    const body = eventBody(buildEvent('user.otp_failed', leaky, new Date()));
    for (const secret of ['hunter2', 'JBSWY3DPEHPK3PXP', '123456']) assert.ok(!body.includes(secret), secret);
    assert.equal(JSON.parse(body).data.reason, 'bad code');
    assert.equal(JSON.parse(body).data.user.email, null);
  });

  it('bounds client-controlled strings', () => {
    const data = sampleData({ request: { ip: '::1', user_agent: 'x'.repeat(100_000), path: '/', site: 's' } });
    assert.ok(eventBody(buildEvent('user.login_failed', data, new Date())).length < 5_000);
  });
});

describe('nextRetryDelay', () => {
  const schedule = [1_000, 10_000];

  it('follows the schedule with up to 20 % jitter, then gives up', () => {
    assert.equal(nextRetryDelay(schedule, 1, null, () => 0), 1_000);
    assert.equal(nextRetryDelay(schedule, 1, null, () => 0.999), 1_200);
    assert.equal(nextRetryDelay(schedule, 2, null, () => 0.5), 11_000);
    assert.equal(nextRetryDelay(schedule, 3, null, () => 0), null);
    assert.equal(nextRetryDelay([], 1, null, () => 0), null);
  });

  it('honours a later Retry-After, capped at a day, and ignores an earlier one', () => {
    assert.equal(nextRetryDelay(schedule, 1, 60_000, () => 0), 60_000);
    assert.equal(nextRetryDelay(schedule, 1, 10, () => 0), 1_000);
    assert.equal(nextRetryDelay(schedule, 1, 10 * MAX_RETRY_AFTER_MS, () => 0), MAX_RETRY_AFTER_MS);
    assert.equal(nextRetryDelay(schedule, 3, 60_000, () => 0), null);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-03T15:20:05.000Z');
  it('reads seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Thu, 03 Dec 2026 15:21:05 GMT', now), 60_000);
    assert.equal(parseRetryAfter('Thu, 03 Dec 2026 15:00:00 GMT', now), 0);
  });
  it('ignores what it cannot read', () => {
    assert.equal(parseRetryAfter(null, now), null);
    assert.equal(parseRetryAfter('soon', now), null);
    assert.equal(parseRetryAfter('-5', now), null);
  });
});
