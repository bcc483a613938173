// Every kind of mistake is reported against the key it is in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENCRYPTION_KEY, WEBHOOK_SECRET, assertOneProblem, minimalRaw, problemsOf, rawWith } from './fixtures.ts';

const REQUIREMENT_LIST = 'public, login, otp, otp_if_configured, deny';

test('unknown keys are errors at every depth, each named', () => {
  assertOneProblem({ ...minimalRaw(), sever: {} }, 'sever', /^sever: unknown key \(known keys here: server, upstream,/);
  assertOneProblem(rawWith({ server: { lisen: ':80' } }), 'server.lisen', /unknown key \(known keys here: listen, public_url, trusted_proxies, access_log\)/);
  assertOneProblem(rawWith({ two_factor: { totp: { digit: 6 } } }), 'two_factor.totp.digit', /unknown key/);
  assertOneProblem(rawWith({ protect: [{ prefix: '/a', require: 'otp', method: ['GET'] }] }), 'protect[0].method', /unknown key/);
  assertOneProblem(rawWith({ store: { redis: { url: 'redis://r:6379', password: 'x' } } }), 'store.redis.password', /unknown key/);
  assertOneProblem(
    rawWith({ webhooks: [{ url: 'https://h.example.com', secret: WEBHOOK_SECRET, events: ['*'], retries: 3 }] }),
    'webhooks[0].retries',
    /unknown key/,
  );
});

test('wrong types name the key, what was expected and what was found', () => {
  assertOneProblem(rawWith({ server: { access_log: 'yes' } }), 'server.access_log', /expected true or false, got the text "yes"/);
  assertOneProblem(rawWith({ server: { listen: 8080 } }), 'server.listen', /expected an address such as 0\.0\.0\.0:8080.*got number 8080/);
  assertOneProblem(rawWith({ two_factor: { backup_codes: 'ten' } }), 'two_factor.backup_codes', /expected a number, got the text "ten"/);
  assertOneProblem(rawWith({ two_factor: { totp: { window: 1.5 } } }), 'two_factor.totp.window', /expected a whole number/);
  assertOneProblem(rawWith({ protect: { prefix: '/a', require: 'otp' } }), 'protect', /expected a list, got a mapping/);
  assertOneProblem(rawWith({ protect: ['/admin/'] }), 'protect[0]', /expected a mapping, got the text "\/admin\/"/);
  assertOneProblem(rawWith({ upstream: { timeout: 30 } }), 'upstream.timeout', /30 has no unit/);
  assertOneProblem(rawWith({ session: { max_age: '12 hours' } }), 'session.max_age', /"12 hours" is not a duration/);
  assertOneProblem(rawWith({ gateway: { accent_color: null } }), 'gateway.accent_color', /# starts a YAML comment/);
  assertOneProblem(rawWith({ gateway: { accent_color: 'red;}' } }), 'gateway.accent_color', /not a hex colour/);
  assertOneProblem('just text', '(top level)', /expected a mapping of settings/);
  assertOneProblem(null, '(top level)', /expected a mapping of settings/);
});

test('ranges are checked', () => {
  assertOneProblem(rawWith({ two_factor: { totp: { digits: 9 } } }), 'two_factor.totp.digits', /must be at most 8, got 9/);
  assertOneProblem(rawWith({ two_factor: { totp: { digits: 5 } } }), 'two_factor.totp.digits', /must be at least 6/);
  assertOneProblem(rawWith({ two_factor: { totp: { period: 5 } } }), 'two_factor.totp.period', /at least 10/);
  assertOneProblem(rawWith({ two_factor: { totp: { window: 11 } } }), 'two_factor.totp.window', /at most 10/);
  assertOneProblem(rawWith({ two_factor: { totp: { algorithm: 'MD5' } } }), 'two_factor.totp.algorithm', /"MD5" is not one of SHA1, SHA256, SHA512/);
  assertOneProblem(rawWith({ two_factor: { backup_codes: 0 } }), 'two_factor.backup_codes', /at least 1/);
  assertOneProblem(rawWith({ two_factor: { backup_codes: 51 } }), 'two_factor.backup_codes', /at most 50/);
  assertOneProblem(rawWith({ session: { idle_timeout: '13h' } }), 'session.idle_timeout', /must not be longer than session\.max_age/);
  assertOneProblem(rawWith({ session: { max_age: '0' } }), 'session.max_age', /must be longer than 0/);
  assertOneProblem(rawWith({ server: { listen: '0.0.0.0:70000' } }), 'server.listen', /outside 0\.\.65535/);
});

test('missing and weak secrets', () => {
  assert.deepEqual(problemsOf({ upstream: { url: 'http://127.0.0.1:8000' } }), [
    'secrets.session: is required',
    'secrets.encryption_key: is required',
  ]);
  assertOneProblem(rawWith({ secrets: { session: 'too-short' } }), 'secrets.session', /at least 32 characters long \(it has 9\)/);
});

test('an encryption key that is not base64 of exactly 32 bytes', () => {
  const help = /must be 32 random bytes, base64-encoded \(openssl rand -base64 32\)/;
  for (const key of [
    Buffer.alloc(16, 1).toString('base64'),
    Buffer.alloc(33, 1).toString('base64'),
    'not base64 at all!',
    `${ENCRYPTION_KEY.slice(0, -2)}*=`,
    Buffer.alloc(32).toString('base64'), // all zero bytes: not random
    Buffer.alloc(32, 1).toString('hex'),
  ]) {
    assertOneProblem(rawWith({ secrets: { encryption_key: key } }), 'secrets.encryption_key', help);
  }
});

test('upstream.url must be an http(s) URL', () => {
  assert.deepEqual(problemsOf({ secrets: minimalRaw().secrets }), ['upstream.url: is required']);
  assertOneProblem(rawWith({ upstream: { url: 'not a url' } }), 'upstream.url', /is not a URL/);
  assertOneProblem(rawWith({ upstream: { url: 'ftp://files.example.com' } }), 'upstream.url', /must use http or https, not ftp/);
  assertOneProblem(rawWith({ upstream: { url: '127.0.0.1:8000' } }), 'upstream.url', /must use http or https|not a URL/);
  assertOneProblem(rawWith({ upstream: { url: 'http://u:p@app:8000' } }), 'upstream.url', /user name or password/);
  assertOneProblem(rawWith({ server: { public_url: 'https://app.example.com/sub' } }), 'server.public_url', /origin/);
});

test('protect rules: require must be one of the five', () => {
  assertOneProblem(
    rawWith({ protect: [{ prefix: '/a', require: 'otp' }, { prefix: '/b', require: 'otpp' }] }),
    'protect[1].require',
    new RegExp(`^protect\\[1\\]\\.require: "otpp" is not one of ${REQUIREMENT_LIST}$`),
  );
  assertOneProblem(rawWith({ protect: [{ prefix: '/a' }] }), 'protect[0].require', /is required: one of public/);
  assertOneProblem(rawWith({ default: 'allow' }), 'default', /"allow" is not one of public/);
});

test('protect rules: methods and groups', () => {
  assertOneProblem(rawWith({ protect: [{ prefix: '/a', require: 'otp', methods: [] }] }), 'protect[0].methods', /must not be empty/);
  assertOneProblem(rawWith({ protect: [{ prefix: '/a', require: 'otp', methods: ['GE T'] }] }), 'protect[0].methods[0]', /not a method name/);
  assertOneProblem(rawWith({ protect: [{ prefix: '/a', require: 'otp', methods: ['TRACE'] }] }), 'protect[0].methods[0]', /always refused/);
  assertOneProblem(rawWith({ protect: [{ prefix: '/a', require: 'otp', groups: [] }] }), 'protect[0].groups', /must not be empty/);
  assertOneProblem(rawWith({ protect: [{ prefix: '/a', require: 'public', groups: ['staff'] }] }), 'protect[0].groups', /no effect with require: public/);
});

test('webhooks: whsec secret, URL and event types', () => {
  const hook = (extra: Record<string, unknown>) => rawWith({ webhooks: [{ url: 'https://h.example.com/x', secret: WEBHOOK_SECRET, events: ['*'], ...extra }] });
  assertOneProblem(hook({ secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }), 'webhooks[0].secret', /does not start with "whsec_"/);
  assertOneProblem(hook({ secret: 'whsec_not*base64' }), 'webhooks[0].secret', /not valid base64/);
  assertOneProblem(hook({ secret: 'whsec_c2hvcnQ=' }), 'webhooks[0].secret', /decodes to 5 bytes/);
  assertOneProblem(hook({ url: 'mailto:ops@example.com' }), 'webhooks[0].url', /http or https/);
  assertOneProblem(hook({ events: ['user.verified', 'user.nope'] }), 'webhooks[0].events[1]', /"user\.nope" is not one of \*, user\.verified/);
  assertOneProblem(hook({ events: [] }), 'webhooks[0].events', /at least one event type/);
});

test('trusted_proxies: addresses and CIDR blocks only', () => {
  for (const bad of ['10.0.0.0/33', 'proxy.local', '::1/129', '1.2.3', '10.0.0.0/', '10.0.0.0/8/8', '']) {
    assertOneProblem(
      rawWith({ server: { trusted_proxies: ['10.0.0.0/8', bad] } }),
      'server.trusted_proxies[1]',
      /not an IP address or CIDR|invalid prefix length/,
    );
  }
});

test('store: exactly one of url, sentinels + name, cluster', () => {
  assertOneProblem(
    rawWith({ store: { redis: { url: 'redis://127.0.0.1:6379', cluster: ['10.0.0.1:7000'] } } }),
    'store.redis',
    /set exactly one of url, sentinels \(with name\) or cluster, not several/,
  );
  assertOneProblem(rawWith({ store: { redis: { key_prefix: 'x:' } } }), 'store.redis', /set exactly one of/);
  assertOneProblem(rawWith({ store: { redis: { sentinels: ['10.0.0.1:26379'] } } }), 'store.redis.name', /required with sentinels/);
  assertOneProblem(rawWith({ store: { redis: { url: 'redis://r:6379', name: 'm' } } }), 'store.redis.name', /only used with sentinels/);
  assertOneProblem(rawWith({ store: { redis: { url: 'http://r:6379' } } }), 'store.redis.url', /redis:\/\/ or rediss:\/\//);
  assertOneProblem(rawWith({ store: { redis: { cluster: ['10.0.0.1'] } } }), 'store.redis.cluster[0]', /has no port/);
});

test('headers: valid, distinct in every spelling, and not reserved', () => {
  assertOneProblem(rawWith({ headers: { user: 'X User' } }), 'headers.user', /not a valid header name/);
  assertOneProblem(rawWith({ headers: { user: 'Cookie' } }), 'headers.user', /another meaning/);
  assertOneProblem(rawWith({ headers: { user: 'X_User_Verified' } }), 'headers.user', /same header as headers\.verified/);
});

test('listen addresses', () => {
  assertOneProblem(rawWith({ server: { listen: '8080' } }), 'server.listen', /has no port/);
  assertOneProblem(rawWith({ server: { listen: '::1:8080' } }), 'server.listen', /ambiguous/);
  assertOneProblem(rawWith({ metrics: { listen: '0.0.0.0:8080' } }), 'metrics.listen', /port 8080 is already server\.listen's/);
});

test('every problem in the file is reported at once', () => {
  const problems = problemsOf({
    server: { listen: 'nowhere', extra: true },
    upstream: { url: 'ftp://x' },
    secrets: { session: 'short', encryption_key: 'bad' },
    protect: [{ prefix: '/a', require: 'otpp' }, { prefix: '/b/', require: 'otp' }, { prefix: '/b/c', require: 'login' }],
  });
  assert.deepEqual(
    problems.map((problem) => problem.slice(0, problem.indexOf(':'))),
    ['server.listen', 'server.extra', 'upstream.url', 'secrets.session', 'secrets.encryption_key', 'protect[0].require', 'protect[2]'],
  );
});
