// Attacks on the second factor: replayed TOTP codes (the same code, and an
// older step after a newer one), one fresh code raced from two sessions, and
// one backup code raced from ten. Each must fail, and nothing must change.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateTotpCode } from '../../src/otp/totp.ts';
import { startTestGateway, DEFAULT_USERS, type Client, type Reply, type TestGateway } from '../helpers/gateway.ts';

const ALICE = (DEFAULT_USERS.alice as { password: string }).password;

async function verifyPage(c: Client, gw: TestGateway): Promise<string> {
  const page = await c.get(`${gw.base}/verify?next=%2Fadmin%2F`);
  assert.equal(page.status, 200, `verify page: ${page.status} ${page.location ?? ''}`);
  return page.text;
}

async function unverified(gw: TestGateway): Promise<Client> {
  const c = gw.client();
  const r = await c.login('alice', ALICE, '/admin/');
  assert.equal(r.location, `${gw.base}/verify?next=%2Fadmin%2F`);
  return c;
}

async function stillUnverified(c: Client, gw: TestGateway): Promise<void> {
  const before = gw.upstream.requests.length;
  const r = await c.get('/admin/');
  assert.equal(r.status, 303);
  assert.equal(r.location, `${gw.base}/verify?next=%2Fadmin%2F`);
  assert.equal(gw.upstream.requests.length, before);
}

async function lastStep(gw: TestGateway): Promise<string | null | undefined> {
  return gw.redis?.get(`${gw.keyPrefix}user:alice:totp_step`);
}

/** Lets any throttle delay from failures so far pass (address counters survive successes). */
function cooldown(gw: TestGateway): void {
  gw.clock.advance(60_000);
}

describe('attack: replayed TOTP codes', () => {
  let gw: TestGateway;
  let secret: string;
  let enrolledAt: number;
  before(async () => {
    gw = await startTestGateway();
    ({ secret } = await gw.client().enrol(gw, 'alice', ALICE));
    enrolledAt = gw.clock.now();
  });
  after(() => gw.close());

  it('refuses the code that confirmed enrolment, then a newer code twice, then an older step', async () => {
    // The very code that confirmed enrolment, in the same step.
    const c = await unverified(gw);
    const other = await unverified(gw);
    const stepAfterEnrol = await lastStep(gw);
    assert.ok(stepAfterEnrol);
    const replay = await c.post(`${gw.base}/verify`, { code: gw.totp(secret) }, await verifyPage(c, gw));
    assert.equal(replay.status, 401);
    await stillUnverified(c, gw);

    // Two steps on: a fresh code works once.
    gw.clock.nextStep();
    gw.clock.nextStep();
    const fresh = gw.totp(secret);
    const ok = await c.post(`${gw.base}/verify`, { code: fresh }, await verifyPage(c, gw));
    assert.equal(ok.status, 303);
    const acceptedStep = await lastStep(gw);
    assert.equal(Number(acceptedStep), Number(stepAfterEnrol) + 2);

    // The same code again, from another session, in the same step: refused.
    const again = await other.post(`${gw.base}/verify`, { code: fresh }, await verifyPage(other, gw));
    assert.equal(again.status, 401, 'the same code twice');
    await stillUnverified(other, gw);

    // The step just before the accepted one: inside the clock-skew window
    // (window: 1) and never used, but older than a code already accepted.
    const older = generateTotpCode(secret, gw.config.twoFactor.totp, gw.clock.now() - 30_000);
    assert.notEqual(older, fresh);
    const r = await other.post(`${gw.base}/verify`, { code: older }, await verifyPage(other, gw));
    assert.equal(r.status, 401, 'an older step after a newer one');
    await stillUnverified(other, gw);
    assert.equal(await lastStep(gw), acceptedStep, 'a refused code changes nothing');
    assert.ok(enrolledAt < gw.clock.now());
  });
});

describe('attack: racing one code from several sessions', () => {
  let gw: TestGateway;
  let secret: string;
  let backupCodes: string[];
  before(async () => {
    gw = await startTestGateway();
    ({ secret, backupCodes } = await gw.client().enrol(gw, 'alice', ALICE));
  });
  after(() => gw.close());

  it('two parallel verifies with one fresh TOTP code: exactly one succeeds', async () => {
    const sessions = [await unverified(gw), await unverified(gw)];
    const pages = await Promise.all(sessions.map((c) => verifyPage(c, gw)));
    gw.clock.nextStep();
    const code = gw.totp(secret);
    const replies = await Promise.all(sessions.map((c, i) => c.post(`${gw.base}/verify`, { code }, pages[i])));
    const winners = replies.filter((r) => r.status === 303 && r.location === '/admin/');
    assert.equal(winners.length, 1, `statuses: ${replies.map((r) => r.status).join(',')}`);
    for (const r of replies.filter((x) => x.status !== 303)) assert.ok([401, 429].includes(r.status), String(r.status));
    const verifiedCount = (await Promise.all(sessions.map((c) => c.get('/admin/')))).filter((r) => r.status === 200).length;
    assert.equal(verifiedCount, 1);
    cooldown(gw);
  });

  it('ten parallel sessions posting one backup code: exactly one 303 to next, nine refused', async () => {
    const sessions: Client[] = [];
    for (let i = 0; i < 10; i++) sessions.push(await unverified(gw));
    const pages = await Promise.all(sessions.map((c) => verifyPage(c, gw)));
    const code = backupCodes[0] as string;
    const replies: Reply[] = await Promise.all(
      sessions.map((c, i) => c.post(`${gw.base}/verify`, { code, mode: 'backup' }, pages[i])),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(replies.filter((r) => r.status === 303 && r.location === '/admin/').length, 1, `statuses: ${statuses.join(',')}`);
    assert.equal(replies.filter((r) => r.status === 401 || r.status === 429).length, 9, `statuses: ${statuses.join(',')}`);
    assert.equal(await gw.redis?.scard(`${gw.keyPrefix}user:alice:backup`), 9);

    const through = await Promise.all(sessions.map((c) => c.get('/admin/')));
    assert.equal(through.filter((r) => r.status === 200).length, 1);
    const seen = gw.upstream.requests.at(-1);
    assert.deepEqual(seen?.headers['x-user-device'], ['backup']);

    // Later, after any delay has passed, the code is still spent.
    cooldown(gw);
    const late = sessions[through.findIndex((r) => r.status !== 200)] as Client;
    const r = await late.post(`${gw.base}/verify`, { code, mode: 'backup' }, await verifyPage(late, gw));
    assert.equal(r.status, 401);
    assert.equal(await gw.redis?.scard(`${gw.keyPrefix}user:alice:backup`), 9);
  });
});
