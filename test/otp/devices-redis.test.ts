// Devices on real Redis: concurrent use of one code from several gateway
// connections, and what actually lands in the database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ScureBase32Plugin } from 'otplib';
import type { TotpConfig } from '../../src/config/types.ts';
import { silentLogger } from '../../src/logger.ts';
import { normalizeBackupCode } from '../../src/otp/backup-codes.ts';
import { Devices } from '../../src/otp/devices.ts';
import { generateTotpCode } from '../../src/otp/totp.ts';
import { RedisStore } from '../../src/store/redis.ts';
import { userKeys } from '../../src/otp/keys.ts';

const totp: TotpConfig = { digits: 6, period: 30, algorithm: 'SHA1', window: 1 };
const STEP_MS = 30_000;
const PARALLEL = 20;

function redisUrl(): string {
  const url = process.env.REDIS_URL;
  assert.ok(url, 'REDIS_URL must be set (run the tests through scripts/run-tests.mjs)');
  return url;
}

describe('Devices on Redis', () => {
  const prefix = `test-otp-${randomUUID()}:`;
  const key = randomBytes(32);
  let clock = 1_780_000_005_000;
  // Several connections, as several gateway instances would have.
  const stores: RedisStore[] = [];
  const gateways: Devices[] = [];
  let raw: Redis;
  let userCount = 0;
  const newUser = () => `user${++userCount}`;

  before(async () => {
    for (let i = 0; i < 4; i++) {
      const store = new RedisStore({ url: redisUrl(), sentinels: null, name: null, cluster: null, keyPrefix: prefix }, silentLogger);
      stores.push(store);
      gateways.push(new Devices(store, { encryptionKey: key, totp, backupCodes: 10, now: () => clock }));
    }
    await Promise.all(stores.map((s) => s.whenReady()));
    raw = new Redis(redisUrl());
  });
  after(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await Promise.all(stores.map((s) => s.close()));
  });

  const devices = () => gateways[0] as Devices;

  async function enrolled(user: string): Promise<{ secret: string; backupCodes: string[] }> {
    const { secret } = await devices().pendingEnrolment(user, 'Example Corp', 'browser-1');
    const result = await devices().confirmEnrolment(user, generateTotpCode(secret, totp, clock), 'browser-1');
    assert.ok(result.ok);
    clock += STEP_MS;
    return { secret, backupCodes: result.backupCodes };
  }

  /** Runs `attempt` PARALLEL times at once, spread over the connections. */
  function race<T>(attempt: (d: Devices) => Promise<T>): Promise<T[]> {
    return Promise.all(Array.from({ length: PARALLEL }, (_, i) => attempt(gateways[i % gateways.length] as Devices)));
  }

  it(`accepts one fresh TOTP code exactly once among ${PARALLEL} parallel requests`, async () => {
    const user = newUser();
    const { secret } = await enrolled(user);
    const code = generateTotpCode(secret, totp, clock);
    const results = await race((d) => d.verify(user, code));
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.deepEqual(await devices().verify(user, code), { ok: false });
  });

  it(`consumes one backup code exactly once among ${PARALLEL} parallel requests`, async () => {
    const user = newUser();
    const { backupCodes } = await enrolled(user);
    const code = backupCodes[3] ?? '';
    const results = await race((d) => d.verify(user, code));
    assert.deepEqual(results.filter((r) => r.ok), [{ ok: true, device: 'backup' }]);
    assert.equal(await devices().backupCodesLeft(user), 9);
    assert.deepEqual(await devices().verify(user, code), { ok: false });
  });

  it(`confirms one enrolment exactly once among ${PARALLEL} parallel requests`, async () => {
    const user = newUser();
    const { secret } = await devices().pendingEnrolment(user, 'Example Corp', 'browser-1');
    const code = generateTotpCode(secret, totp, clock);
    const results = await race((d) => d.confirmEnrolment(user, code, 'browser-1'));
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.equal(await devices().deviceVersion(user), 1);
    assert.equal(await devices().backupCodesLeft(user), 10);
  });

  it('hands parallel first visits of /setup one and the same secret', async () => {
    const user = newUser();
    const results = await race((d) => d.pendingEnrolment(user, 'Example Corp', 'browser-1'));
    assert.equal(new Set(results.map((r) => r.secret)).size, 1);
  });

  it('stores neither TOTP secrets nor backup codes in readable form', async () => {
    const user = newUser();
    const { secret, backupCodes } = await enrolled(user);
    await devices().verify(user, generateTotpCode(secret, totp, clock));
    await devices().verify(user, backupCodes[0] ?? '');
    const pendingUser = newUser();
    const pending = await devices().pendingEnrolment(pendingUser, 'Example Corp', 'browser-1');

    const needles = [secret, pending.secret, ...backupCodes, ...backupCodes.map(normalizeBackupCode)];
    const values: string[] = [];
    const keys = await raw.keys(`${prefix}*`);
    for (const k of [`${prefix}user:${user}:totp`, `${prefix}user:${user}:backup`, `${prefix}${userKeys.enrol(pendingUser, 'browser-1')}`]) {
      assert.ok(keys.includes(k), `${k} is stored`);
    }
    for (const k of keys) {
      const type = await raw.type(k);
      if (type === 'string') values.push((await raw.get(k)) ?? '');
      else if (type === 'set') values.push(...(await raw.smembers(k)));
      else if (type === 'zset') values.push(...(await raw.zrange(k, 0, -1)));
      else if (type === 'hash') values.push(...Object.entries(await raw.hgetall(k)).flat());
      else if (type === 'list') values.push(...(await raw.lrange(k, 0, -1)));
      else assert.fail(`unexpected type ${type} at ${k}`);
    }
    const haystack = [...keys, ...values].join('\n').toLowerCase();
    for (const needle of needles) assert.ok(!haystack.includes(needle.toLowerCase()), 'a plaintext secret or code is stored');
    // Nor the seed itself in another encoding.
    const seed = Buffer.from(new ScureBase32Plugin().decode(secret));
    for (const encoded of [seed.toString('hex'), seed.toString('base64'), seed.toString('base64url')]) {
      assert.ok(!haystack.includes(encoded.toLowerCase()), 'the TOTP seed is stored unencrypted');
    }
  });
});
