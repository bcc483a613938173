// `otpgate users reset-2fa NAME --config FILE`, run in-process against the
// same config and Redis as a running test gateway: the user's devices, backup
// codes, sessions and remembered browsers are gone, and nobody else's.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { usersResetCommand } from '../../src/cli/users-reset.ts';
import type { CliIO } from '../../src/cli/io.ts';
import { startTestGateway, DEFAULT_USERS, type Client, type TestGateway } from '../helpers/gateway.ts';

const ALICE = (DEFAULT_USERS.alice as { password: string }).password;
const BOB = (DEFAULT_USERS.bob as { password: string }).password;

function io(): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdin: new PassThrough(), stdout, stderr, env: {} }, out: () => out, err: () => err };
}

function sessionId(c: Client): string {
  const v = c.cookies.get('otpgate_session');
  assert.ok(v);
  return decodeURIComponent(v).split('.')[0] as string;
}

async function verifyWithTotp(c: Client, gw: TestGateway, secret: string, remember: boolean): Promise<void> {
  const page = await c.get(`${gw.base}/verify?next=%2Fadmin%2F`);
  gw.clock.nextStep();
  const r = await c.post(`${gw.base}/verify`, { code: gw.totp(secret), ...(remember ? { remember: '1' } : {}) }, page.text);
  assert.equal(r.status, 303);
}

describe('otpgate users reset-2fa', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it("removes the user's devices, backup codes, sessions and remembered browsers", async () => {
    const alice = gw.client();
    const { secret } = await alice.enrol(gw, 'alice', ALICE);
    // A second browser, remembered.
    const laptop = gw.client();
    await laptop.login('alice', ALICE, '/admin/');
    await verifyWithTotp(laptop, gw, secret, true);
    assert.ok(laptop.cookies.has('otpgate_session_remember'));
    // Bob, enrolled too, must be untouched.
    const bob = gw.client();
    await bob.enrol(gw, 'bob', BOB);

    const aliceSessions = [sessionId(alice), sessionId(laptop)];
    for (const id of aliceSessions) assert.equal(await gw.redis?.exists(`${gw.keyPrefix}session:${id}`), 1);
    const versionBefore = Number(await gw.redis?.get(`${gw.keyPrefix}user:alice:devver`));

    const run = io();
    const code = await usersResetCommand(['alice', '--config', gw.configFile], run.io);
    assert.equal(code, 0, run.err());
    assert.match(run.out(), /alice/);
    assert.match(run.out(), /removed the TOTP device/);
    assert.match(run.out(), /10 backup code\(s\) removed/);
    assert.match(run.out(), /2 session\(s\) ended/);

    for (const key of ['totp', 'backup', 'totp_step', 'sessions']) {
      assert.equal(await gw.redis?.exists(`${gw.keyPrefix}user:alice:${key}`), 0, key);
    }
    for (const id of aliceSessions) assert.equal(await gw.redis?.exists(`${gw.keyPrefix}session:${id}`), 0);
    assert.ok(Number(await gw.redis?.get(`${gw.keyPrefix}user:alice:devver`)) > versionBefore, 'remembered browsers voided');

    // Both of alice's browsers are signed out at once.
    for (const c of [alice, laptop]) {
      const r = await c.get('/admin/');
      assert.equal(r.status, 303);
      assert.equal(r.location, `${gw.base}/login?next=%2Fadmin%2F`);
    }
    // The remembered browser does not skip anything: alice has to enrol again...
    const back = await laptop.login('alice', ALICE, '/admin/');
    assert.equal(back.location, `${gw.base}/setup?next=%2Fadmin%2F`);
    // ...and after re-enrolling elsewhere, the old remember cookie still asks for a code.
    const phone = gw.client();
    await phone.enrol(gw, 'alice', ALICE);
    const fresh = gw.client();
    fresh.cookies.set('otpgate_session_remember', laptop.cookies.get('otpgate_session_remember') as string);
    const again = await fresh.login('alice', ALICE, '/admin/');
    assert.equal(again.location, `${gw.base}/verify?next=%2Fadmin%2F`);

    // Bob still has everything.
    assert.equal(await gw.redis?.exists(`${gw.keyPrefix}user:bob:totp`), 1);
    assert.equal(await gw.redis?.scard(`${gw.keyPrefix}user:bob:backup`), 10);
    const bobAdmin = await bob.get('/admin/');
    assert.equal(bobAdmin.status, 200);
  });

  it('exits 1 for an unknown user and 2 for bad usage, changing nothing', async () => {
    const keysBefore = (await gw.redis?.keys(`${gw.keyPrefix}*`))?.sort();
    const unknown = io();
    assert.equal(await usersResetCommand(['mallory', '--config', gw.configFile], unknown.io), 1);
    assert.match(unknown.err(), /mallory/);
    const usage = io();
    assert.equal(await usersResetCommand(['alice'], usage.io), 2);
    assert.match(usage.err(), /usage: otpgate users reset-2fa NAME --config FILE/);
    assert.equal(await usersResetCommand(['alice', 'bob', '--config', gw.configFile], io().io), 2);
    assert.deepEqual((await gw.redis?.keys(`${gw.keyPrefix}*`))?.sort(), keysBefore);
  });
});
