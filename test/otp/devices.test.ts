// Devices against both store implementations: the same behaviour is
// expected of the embedded store and of Redis.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TotpConfig } from '../../src/config/types.ts';
import { silentLogger } from '../../src/logger.ts';
import { Devices, ENROLMENT_TTL_MS } from '../../src/otp/devices.ts';
import { generateTotpCode } from '../../src/otp/totp.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { RedisStore } from '../../src/store/redis.ts';
import type { Store } from '../../src/store/types.ts';
import { userKeys } from '../../src/otp/keys.ts';

const totp: TotpConfig = { digits: 6, period: 30, algorithm: 'SHA1', window: 1 };
const STEP_MS = 30_000;
const START = 1_780_000_005_000; // early in a step

async function redisStore(): Promise<RedisStore> {
  const url = process.env.REDIS_URL;
  assert.ok(url, 'REDIS_URL must be set (run the tests through scripts/run-tests.mjs)');
  const keyPrefix = `test-otp-${randomUUID()}:`;
  const store = new RedisStore({ url, sentinels: null, name: null, cluster: null, keyPrefix }, silentLogger);
  await store.whenReady();
  // Leaves nothing behind in a shared database.
  const close = store.close.bind(store);
  store.close = async () => {
    const raw = new Redis(url);
    const keys = await raw.keys(`${keyPrefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await close();
  };
  return store;
}

const stores: Array<[string, () => Promise<Store>]> = [
  ['MemoryStore', async () => new MemoryStore()],
  ['RedisStore', redisStore],
];

for (const [storeName, makeStore] of stores) {
  describe(`Devices on ${storeName}`, () => {
    let store: Store;
    let clock = START;
    const key = randomBytes(32);
    let devices: Devices;
    let userCount = 0;
    const newUser = () => `user${++userCount}`;

    before(async () => {
      store = await makeStore();
      devices = new Devices(store, { encryptionKey: key, totp, backupCodes: 10, now: () => clock });
    });
    after(() => store.close());

    async function enrolled(user: string): Promise<{ secret: string; backupCodes: string[] }> {
      const { secret } = await devices.pendingEnrolment(user, 'Example Corp', 'browser-1');
      const result = await devices.confirmEnrolment(user, generateTotpCode(secret, totp, clock), 'browser-1');
      assert.ok(result.ok);
      // Later codes of the test come from later steps than the enrolment code.
      clock += STEP_MS;
      return { secret, backupCodes: result.backupCodes };
    }

    it('shows each enrolment attempt its own secret, which only that attempt can confirm', async () => {
      const user = newUser();
      const mine = await devices.pendingEnrolment(user, 'Example Corp', 'browser-1');
      const theirs = await devices.pendingEnrolment(user, 'Example Corp', 'browser-2');
      assert.notEqual(mine.secret, theirs.secret);
      const code = generateTotpCode(theirs.secret, totp, clock);
      assert.deepEqual(await devices.confirmEnrolment(user, code, 'browser-1'), { ok: false });
      assert.equal(await devices.hasDevice(user), false);
      assert.equal((await devices.confirmEnrolment(user, code, 'browser-2')).ok, true);
      clock += STEP_MS;
    });

    it('keeps one pending secret across reloads of /setup', async () => {
      const user = newUser();
      assert.equal(await devices.hasDevice(user), false);
      const first = await devices.pendingEnrolment(user, 'Example Corp', 'browser-1');
      const again = await devices.pendingEnrolment(user, 'Example Corp', 'browser-1');
      assert.equal(again.secret, first.secret);
      assert.match(first.secret, /^[A-Z2-7]{32}$/);
      const uri = new URL(first.uri);
      assert.equal(uri.searchParams.get('secret'), first.secret);
      assert.equal(uri.searchParams.get('issuer'), 'Example Corp');
      assert.ok(decodeURIComponent(uri.pathname).endsWith(`:${user}`));
      const ttl = await store.ttl(userKeys.enrol(user, 'browser-1'));
      assert.ok(ttl > 0 && ttl <= ENROLMENT_TTL_MS, String(ttl));
      assert.notEqual((await devices.pendingEnrolment(newUser(), 'Example Corp', 'browser-1')).secret, first.secret);
    });

    it('refuses a wrong code at enrolment and keeps the pending secret', async () => {
      const user = newUser();
      const { secret } = await devices.pendingEnrolment(user, 'Example Corp', 'browser-1');
      const right = generateTotpCode(secret, totp, clock);
      const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
      for (const code of [wrong, '', 'abcdef', '1234567', generateTotpCode(secret, totp, clock + 3 * STEP_MS)]) {
        assert.deepEqual(await devices.confirmEnrolment(user, code, 'browser-1'), { ok: false }, code);
      }
      assert.equal(await devices.hasDevice(user), false);
      assert.equal((await devices.pendingEnrolment(user, 'Example Corp', 'browser-1')).secret, secret);
    });

    it('refuses to confirm when nothing is pending', async () => {
      assert.deepEqual(await devices.confirmEnrolment(newUser(), '123456', 'browser-1'), { ok: false });
    });

    it('stores the device on the right code, issues backup codes and clears the pending secret', async () => {
      const user = newUser();
      const versionBefore = await devices.deviceVersion(user);
      const { secret } = await devices.pendingEnrolment(user, 'Example Corp', 'browser-1');
      const code = generateTotpCode(secret, totp, clock);
      const result = await devices.confirmEnrolment(user, code.replace(/^(...)/, '$1 '), 'browser-1');
      assert.ok(result.ok);
      assert.equal(result.backupCodes.length, 10);
      assert.equal(await devices.hasDevice(user), true);
      assert.equal(await store.get(userKeys.enrol(user, 'browser-1')), null);
      assert.equal(await devices.backupCodesLeft(user), 10);
      assert.equal(await devices.deviceVersion(user), versionBefore + 1);
      assert.deepEqual(await devices.status(user), { totp: { createdAt: clock }, backupCodesLeft: 10 });
      // The enrolment code was used: it does not verify again.
      assert.deepEqual(await devices.verify(user, code), { ok: false });
      // A user with a device cannot enrol over it.
      const next = await devices.pendingEnrolment(user, 'Example Corp', 'browser-1');
      clock += STEP_MS;
      assert.deepEqual(await devices.confirmEnrolment(user, generateTotpCode(next.secret, totp, clock), 'browser-1'), { ok: false });
      assert.equal(await devices.verify(user, generateTotpCode(next.secret, totp, clock)).then((r) => r.ok), false);
    });

    it('accepts a TOTP code once and refuses replays and older steps', async () => {
      const user = newUser();
      const { secret } = await enrolled(user);
      const now = generateTotpCode(secret, totp, clock);
      assert.deepEqual(await devices.verify(user, now), { ok: true, device: 'totp' });
      assert.deepEqual(await devices.verify(user, now), { ok: false });
      // The next step (still inside the window) is newer: accepted.
      const ahead = generateTotpCode(secret, totp, clock + STEP_MS);
      assert.deepEqual(await devices.verify(user, ahead), { ok: true, device: 'totp' });
      // The previous step is within the window but older than the last accepted one.
      clock += STEP_MS;
      const older = generateTotpCode(secret, totp, clock - 2 * STEP_MS);
      assert.deepEqual(await devices.verify(user, older), { ok: false });
      const current = generateTotpCode(secret, totp, clock);
      assert.deepEqual(await devices.verify(user, current), { ok: false }, 'same step as the last accepted code');
      clock += STEP_MS;
      assert.deepEqual(await devices.verify(user, generateTotpCode(secret, totp, clock)), { ok: true, device: 'totp' });
    });

    it('refuses codes outside the window and from users without a device', async () => {
      const user = newUser();
      const { secret } = await enrolled(user);
      assert.deepEqual(await devices.verify(user, generateTotpCode(secret, totp, clock + 2 * STEP_MS)), { ok: false });
      assert.deepEqual(await devices.verify(newUser(), generateTotpCode(secret, totp, clock)), { ok: false });
      assert.deepEqual(await devices.verify(user, 'x'.repeat(10_000)), { ok: false });
    });

    it('accepts each backup code once, however it is typed', async () => {
      const user = newUser();
      const { backupCodes } = await enrolled(user);
      const [first, second] = backupCodes as [string, string];
      assert.deepEqual(await devices.verify(user, first), { ok: true, device: 'backup' });
      assert.deepEqual(await devices.verify(user, first), { ok: false });
      assert.equal(await devices.backupCodesLeft(user), 9);
      assert.deepEqual(await devices.verify(user, ` ${second.toUpperCase().replace(/-/g, ' ')} `), { ok: true, device: 'backup' });
      assert.deepEqual(await devices.verify(user, second), { ok: false });
      assert.equal(await devices.backupCodesLeft(user), 8);
      assert.equal((await devices.status(user)).backupCodesLeft, 8);
      // One user's codes are not another's.
      const other = newUser();
      const theirs = await enrolled(other);
      assert.deepEqual(await devices.verify(user, theirs.backupCodes[0] ?? ''), { ok: false });
      assert.equal(await devices.backupCodesLeft(other), 10);
    });

    it('regenerates backup codes: the old ones stop working', async () => {
      const user = newUser();
      const { backupCodes: old } = await enrolled(user);
      await devices.verify(user, old[0] ?? '');
      const fresh = await devices.regenerateBackupCodes(user);
      assert.equal(fresh.length, 10);
      assert.equal(await devices.backupCodesLeft(user), 10);
      for (const code of old.slice(1, 3)) assert.deepEqual(await devices.verify(user, code), { ok: false });
      assert.deepEqual(await devices.verify(user, fresh[0] ?? ''), { ok: true, device: 'backup' });
      await assert.rejects(devices.regenerateBackupCodes(newUser()));
    });

    it('removes everything and bumps the device version', async () => {
      const user = newUser();
      const { secret, backupCodes } = await enrolled(user);
      const version = await devices.deviceVersion(user);
      await devices.pendingEnrolment(user, 'Example Corp', 'browser-1');
      await devices.removeAll(user);
      assert.equal(await devices.deviceVersion(user), version + 1);
      // The version never expires, so an old one is never handed out again.
      assert.equal(await store.ttl(`user:${user}:devver`), -1);
      assert.equal(await devices.hasDevice(user), false);
      assert.deepEqual(await devices.status(user), { totp: null, backupCodesLeft: 0 });
      for (const suffix of ['totp', 'totp_step', 'backup']) assert.equal(await store.ttl(`user:${user}:${suffix}`), -2, suffix);
      clock += STEP_MS;
      assert.deepEqual(await devices.verify(user, generateTotpCode(secret, totp, clock)), { ok: false });
      assert.deepEqual(await devices.verify(user, backupCodes[0] ?? ''), { ok: false });
      // Re-enrolment starts from a new secret and bumps the version again.
      const again = await enrolled(user);
      assert.notEqual(again.secret, secret);
      assert.equal(await devices.deviceVersion(user), version + 2);
    });

    it('will not open a device record moved to another user', async () => {
      const alice = newUser();
      const mallory = newUser();
      const { secret } = await enrolled(alice);
      await store.set(`user:${mallory}:totp`, (await store.get(`user:${alice}:totp`)) ?? '');
      await assert.rejects(devices.verify(mallory, generateTotpCode(secret, totp, clock)));
    });

    it('will not use a device record under another encryption key', async () => {
      const user = newUser();
      const { secret } = await enrolled(user);
      const rekeyed = new Devices(store, { encryptionKey: randomBytes(32), totp, backupCodes: 10, now: () => clock });
      await assert.rejects(rekeyed.verify(user, generateTotpCode(secret, totp, clock)));
    });
  });
}
