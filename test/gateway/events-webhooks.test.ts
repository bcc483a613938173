// Every webhook event type, produced by the real flows over HTTP (a real
// gateway, real Redis, a real HTTP receiver), with the SPEC's payload shape,
// the client's address, user agent and site, no password, code or secret
// anywhere, and a signature the `standardwebhooks` package accepts. And a
// receiver that takes 10 s does not hold up the user's response.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { usersResetCommand } from '../../src/cli/users-reset.ts';
import { Client, startTestGateway, DEFAULT_USERS, secretFrom, type Reply, type TestGateway } from '../helpers/gateway.ts';
import { startReceiver, type Received, type Receiver } from '../webhooks/harness.ts';

const ALICE = (DEFAULT_USERS.alice as { password: string }).password;
const BOB = (DEFAULT_USERS.bob as { password: string }).password;
const PUBLIC_ORIGIN = 'https://app.example.com';
const SITE = 'app.example.com';
const CLIENT_IP = '203.0.113.9';
const UA = 'Mozilla/5.0 (otpgate events test) Firefox/140.0';

/** A browser behind a trusted proxy, on the public origin: every request carries its address and user agent. */
class Browser extends Client {
  ip = CLIENT_IP;
  override request(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers, 'user-agent': UA, 'x-forwarded-for': this.ip };
    if ('origin' in headers) headers.origin = PUBLIC_ORIGIN;
    return super.request(method, path, { ...init, headers });
  }
}

interface Delivered {
  type: string;
  timestamp: string;
  data: {
    user: { username: string; email: string | null };
    device?: { name: string; type: string };
    request: { ip: string; user_agent: string; path: string; site: string };
    reason?: string;
  };
}

function quietIo() {
  const sink = new PassThrough();
  sink.resume();
  return { stdin: new PassThrough(), stdout: sink, stderr: sink, env: {} };
}

function webhookConfig(receiver: Receiver, whsec: string): Record<string, unknown> {
  return {
    server: { listen: '127.0.0.1:0', public_url: PUBLIC_ORIGIN, trusted_proxies: ['127.0.0.1/32'] },
    webhooks: [{ url: `${receiver.url}/hooks/otpgate`, secret: whsec, events: ['*'] }],
  };
}

async function signedInPage(c: Client, gw: TestGateway): Promise<string> {
  const r = await c.get(`${gw.base}/account`);
  if (r.status === 200) return r.text;
  const page = await c.get(r.location as string);
  assert.equal(page.status, 200);
  return page.text;
}

async function logout(c: Client, gw: TestGateway): Promise<void> {
  assert.equal((await c.post(`${gw.base}/logout`, {}, await signedInPage(c, gw))).status, 303);
}

async function verify(c: Client, gw: TestGateway, code: string, next: string, extra: Record<string, string> = {}): Promise<Reply> {
  const page = await c.get(`${gw.base}/verify?next=${encodeURIComponent(next)}`);
  assert.equal(page.status, 200, `verify page: ${page.status} ${page.location ?? ''}`);
  return c.post(`${gw.base}/verify`, { code, ...extra }, page.text);
}

describe('events: every type from the real flows', () => {
  let gw: TestGateway;
  let receiver: Receiver;
  const whsec = `whsec_${randomBytes(32).toString('base64')}`;
  /** Everything secret the flows below typed or were shown: none may appear in any event. */
  const secrets = new Set<string>([ALICE, BOB, whsec, whsec.slice(6)]);
  const taken = new Set<number>();

  before(async () => {
    receiver = await startReceiver();
    gw = await startTestGateway({ config: webhookConfig(receiver, whsec) });
  });
  after(async () => {
    await gw.close();
    await receiver.close();
  });

  /** The next delivery of `type` not looked at yet, checked for signature and shape. */
  async function take(type: string): Promise<Delivered> {
    for (let n = 1; ; n++) {
      const all = await receiver.waitFor(n);
      const index = all.findIndex((r, i) => !taken.has(i) && (JSON.parse(r.body) as { type: string }).type === type);
      if (index === -1) continue;
      taken.add(index);
      return checked(all[index] as Received);
    }
  }

  function checked(r: Received): Delivered {
    assert.equal(r.path, '/hooks/otpgate');
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const headers = {
      'webhook-id': String(r.headers['webhook-id']),
      'webhook-timestamp': String(r.headers['webhook-timestamp']),
      'webhook-signature': String(r.headers['webhook-signature']),
    };
    assert.match(headers['webhook-id'], /^\S+$/);
    assert.match(headers['webhook-timestamp'], /^\d+$/);
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
    const payload = new Webhook(whsec).verify(r.body, headers) as Delivered;
    // A tampered body or another key is refused.
    assert.throws(() => new Webhook(whsec).verify(r.body.replace('"data"', '"data" '), headers));
    assert.throws(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(r.body, headers));

    assert.deepEqual(Object.keys(payload).sort(), ['data', 'timestamp', 'type']);
    assert.ok(!Number.isNaN(Date.parse(payload.timestamp)) && payload.timestamp.endsWith('Z'), payload.timestamp);
    const allowed = ['device', 'reason', 'request', 'user'];
    for (const key of Object.keys(payload.data)) assert.ok(allowed.includes(key), `unexpected data.${key}`);
    assert.deepEqual(Object.keys(payload.data.user).sort(), ['email', 'username']);
    assert.deepEqual(Object.keys(payload.data.request).sort(), ['ip', 'path', 'site', 'user_agent']);
    if (payload.data.device) assert.deepEqual(Object.keys(payload.data.device).sort(), ['name', 'type']);
    return payload;
  }

  function fromBrowser(e: Delivered, username: string, path: string, device?: { name: string; type: string }): void {
    const email = username === 'alice' ? 'alice@example.com' : username === 'bob' ? 'bob@example.com' : null;
    const expected: Record<string, unknown> = {
      user: { username, email },
      request: { ip: CLIENT_IP, user_agent: UA, path, site: SITE },
    };
    if (device) expected.device = device;
    assert.deepEqual(e.data, expected);
  }

  it('delivers each event type with the SPEC payload and a valid signature', { timeout: 60_000 }, async () => {
    // user.login_failed: a wrong password, and an unknown user.
    const bob = new Browser(gw.url, gw.base);
    const wrongPassword = 'not-bobs-password';
    secrets.add(wrongPassword);
    const failed = await bob.login('bob', wrongPassword, '/members/');
    assert.equal(failed.status, 401);
    fromBrowser(await take('user.login_failed'), 'bob', '/members/');
    assert.equal((await bob.login('nobody', wrongPassword, '/members/')).status, 401);
    fromBrowser(await take('user.login_failed'), 'nobody', '/members/');

    // Enrolment: device.enrolled, then user.verified (totp), both with next as the path.
    const alice = new Browser(gw.url, gw.base);
    const { secret, backupCodes } = await alice.enrol(gw, 'alice', ALICE);
    secrets.add(secret);
    for (const code of backupCodes) secrets.add(code).add(code.replace(/-/g, ''));
    secrets.add(gw.totp(secret));
    const enrolled = await take('device.enrolled');
    fromBrowser(enrolled, 'alice', '/admin/', { name: 'totp', type: 'totp' });
    const atSetup = await take('user.verified');
    fromBrowser(atSetup, 'alice', '/admin/', { name: 'totp', type: 'totp' });
    assert.ok(Date.parse(enrolled.timestamp) <= Date.parse(atSetup.timestamp), 'device.enrolled first');

    // user.otp_failed, then user.verified with a backup code.
    await logout(alice, gw);
    await alice.login('alice', ALICE, '/admindocs/');
    assert.equal((await verify(alice, gw, '12345', '/admindocs/')).status, 401);
    fromBrowser(await take('user.otp_failed'), 'alice', '/admindocs/');
    // Failures slow this address down from the third; let the delay pass.
    gw.clock.advance(60_000);
    const backup = await verify(alice, gw, backupCodes[0] as string, '/admindocs/', { mode: 'backup' });
    assert.equal(backup.status, 303);
    fromBrowser(await take('user.verified'), 'alice', '/admindocs/', { name: 'backup', type: 'backup' });

    // user.verified with TOTP (remembering the browser), then with the remembered browser.
    await logout(alice, gw);
    await alice.login('alice', ALICE, '/admin/');
    gw.clock.nextStep();
    const code = gw.totp(secret);
    secrets.add(code);
    assert.equal((await verify(alice, gw, code, '/admin/', { remember: '1' })).status, 303);
    fromBrowser(await take('user.verified'), 'alice', '/admin/', { name: 'totp', type: 'totp' });
    await logout(alice, gw);
    const remembered = await alice.login('alice', ALICE, '/admin/users/?page=2');
    assert.equal(remembered.location, '/admin/users/?page=2');
    fromBrowser(await take('user.verified'), 'alice', '/admin/users/?page=2', { name: 'remembered', type: 'remembered' });

    // backup_codes.regenerated and device.removed from the account page.
    const account = await signedInPage(alice, gw);
    gw.clock.nextStep();
    const regenCode = gw.totp(secret);
    secrets.add(regenCode);
    const regenerated = await alice.post(`${gw.base}/backup-codes`, { code: regenCode }, account);
    assert.equal(regenerated.status, 200);
    for (const c of [...regenerated.text.matchAll(/<code[^>]*>([a-z0-9-]{8,})<\/code>/g)].map((m) => m[1] as string)) secrets.add(c);
    const regen = await take('backup_codes.regenerated');
    assert.equal(regen.data.user.username, 'alice');
    assert.equal(regen.data.request.ip, CLIENT_IP);
    assert.equal(regen.data.request.site, SITE);

    gw.clock.nextStep();
    const disableCode = gw.totp(secret);
    secrets.add(disableCode);
    assert.equal((await alice.post(`${gw.base}/disable`, { code: disableCode }, await signedInPage(alice, gw))).status, 303);
    const removed = await take('device.removed');
    assert.equal(removed.data.user.username, 'alice');
    assert.equal(removed.data.request.ip, CLIENT_IP);
    assert.equal(removed.data.device?.type, 'totp');

    // device.removed by the administrator's reset-2fa (queued by the CLI, delivered by the gateway).
    const setup = await alice.get(`${gw.base}/setup?next=%2Fadmin%2F`);
    const second = secretFrom(setup.text);
    secrets.add(second);
    gw.clock.nextStep();
    assert.equal((await alice.post(`${gw.base}/setup`, { code: gw.totp(second) }, setup.text)).status, 200);
    await take('device.enrolled');
    await take('user.verified');
    assert.equal(await usersResetCommand(['alice', '--config', gw.configFile], quietIo()), 0);
    const reset = await take('device.removed');
    assert.deepEqual(reset.data.user, { username: 'alice', email: 'alice@example.com' });
    assert.equal(reset.data.device?.type, 'totp');

    // user.locked_out: ten wrong passwords for bob (after a success cleared his earlier failure), letting each delay pass.
    assert.equal((await new Browser(gw.url, gw.base).login('bob', BOB, '/members/')).status, 303);
    const attacker = new Browser(gw.url, gw.base);
    attacker.ip = '198.51.100.7';
    for (let n = 1; n <= 10; n++) {
      const guess = `guess-${n}-${randomBytes(4).toString('hex')}`;
      secrets.add(guess);
      const r = await attacker.login('bob', guess, '/members/');
      assert.equal(r.status, n < 10 ? 401 : 429, `failure ${n}`);
      gw.clock.advance(5 * 60_000);
    }
    const locked = await take('user.locked_out');
    assert.deepEqual(locked.data.user, { username: 'bob', email: 'bob@example.com' });
    assert.deepEqual(locked.data.request, { ip: '198.51.100.7', user_agent: UA, path: '/members/', site: SITE });

    // Nothing secret in any delivered body, and no field that looks like one.
    const bodies = receiver.requests.map((r) => r.body);
    for (const body of bodies) {
      for (const s of secrets) assert.ok(!body.includes(s), `a secret (${s.slice(0, 3)}…) in ${body}`);
      assert.doesNotMatch(body, /"(password|code|codes|secret|token|otp)"\s*:/i);
      assert.doesNotMatch(body, /otpgate_session/);
    }
    // Every delivery has its own id.
    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    assert.equal(new Set(ids).size, ids.length);
    const types = new Set(bodies.map((b) => (JSON.parse(b) as { type: string }).type));
    assert.deepEqual(
      [...types].sort(),
      ['backup_codes.regenerated', 'device.enrolled', 'device.removed', 'user.locked_out', 'user.login_failed', 'user.otp_failed', 'user.verified'],
    );
  });
});

describe('events: a slow receiver', () => {
  let gw: TestGateway;
  let receiver: Receiver;
  const timers: NodeJS.Timeout[] = [];
  const order: string[] = [];

  before(async () => {
    // Answers each delivery only after 10 s.
    receiver = await startReceiver((r) => {
      timers.push(
        setTimeout(() => {
          order.push(`answered ${(JSON.parse(r.body) as { type: string }).type}`);
          r.res.writeHead(204).end();
        }, 10_000),
      );
    });
    gw = await startTestGateway({ config: webhookConfig(receiver, `whsec_${randomBytes(32).toString('base64')}`) });
  });
  after(async () => {
    for (const t of timers) clearTimeout(t);
    await gw.close();
    await receiver.close();
  });

  it('does not delay the login or verify response', async () => {
    const bob = new Browser(gw.url, gw.base);
    const failed = await bob.login('bob', 'wrong password', '/members/');
    order.push('login response');
    assert.equal(failed.status, 401);
    const [held] = await receiver.waitFor(1);
    assert.ok(held);
    assert.equal(held.res.writableEnded, false, 'the receiver holds the delivery');

    // With a delivery in flight at the slow receiver, a whole enrolment and a verification answer at once.
    const alice = new Browser(gw.url, gw.base);
    const { secret } = await alice.enrol(gw, 'alice', ALICE);
    order.push('setup response');
    await receiver.waitFor(3);
    await logout(alice, gw);
    await alice.login('alice', ALICE, '/admin/');
    gw.clock.nextStep();
    const verified = await verify(alice, gw, gw.totp(secret), '/admin/');
    order.push('verify response');
    assert.equal(verified.status, 303);
    const all = await receiver.waitFor(4);
    assert.deepEqual(
      all.map((r) => (JSON.parse(r.body) as { type: string }).type).sort(),
      ['device.enrolled', 'user.login_failed', 'user.verified', 'user.verified'],
    );
    assert.ok(all.every((r) => !r.res.writableEnded), 'every delivery still held by the receiver');
    assert.deepEqual(order, ['login response', 'setup response', 'verify response']);
  });
});
