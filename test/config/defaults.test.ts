import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE_DIR, ENCRYPTION_KEY, SESSION_SECRET, minimalRaw, rawWith, resolve } from './fixtures.ts';

test('a config with only the required keys gets every default of the SPEC', () => {
  const config = resolve(minimalRaw());
  assert.equal(config.baseDir, BASE_DIR);
  assert.deepEqual(config.server, {
    listen: { host: '0.0.0.0', port: 8080 },
    publicUrl: null,
    trustedProxies: [],
    accessLog: false,
  });
  assert.equal(config.upstream.url.href, 'http://127.0.0.1:8000/');
  assert.equal(config.upstream.timeoutMs, 30_000);
  assert.deepEqual(config.upstream.loginPaths, []);
  assert.deepEqual(config.gateway, { path: '/_otpgate', title: 'otpgate', logo: null, accentColor: '#2563eb' });
  assert.deepEqual(config.store, { redis: null });
  assert.equal(config.secrets.session, SESSION_SECRET);
  assert.deepEqual(config.secrets.encryptionKey, Buffer.from(ENCRYPTION_KEY, 'base64'));
  assert.equal(config.secrets.encryptionKey.length, 32);
  assert.deepEqual(config.session, {
    cookie: 'otpgate_session',
    idleTimeoutMs: 30 * 60_000,
    maxAgeMs: 12 * 3_600_000,
    rememberDeviceMs: 30 * 86_400_000,
  });
  assert.deepEqual(config.users, { file: `${BASE_DIR}/users.yaml` });
  assert.deepEqual(config.twoFactor, {
    enforce: false,
    backupCodes: 10,
    totp: { digits: 6, period: 30, algorithm: 'SHA1', window: 1 },
    throttle: { freeFailures: 3, lockoutFailures: 10, windowMs: 15 * 60_000, lockoutMs: 15 * 60_000 },
  });
  assert.deepEqual(config.protect, []);
  assert.equal(config.default, 'public');
  assert.deepEqual(config.headers, {
    verified: 'X-User-Verified',
    user: 'X-Forwarded-User',
    email: 'X-Forwarded-Email',
    groups: 'X-Forwarded-Groups',
    device: 'X-User-Device',
  });
  assert.deepEqual(config.webhooks, []);
  assert.deepEqual(config.metrics, { listen: null });
});

test('a partly written section keeps the defaults of the keys it leaves out', () => {
  const config = resolve(rawWith({ two_factor: { totp: { digits: 8 } }, session: { max_age: '1h' } }));
  assert.deepEqual(config.twoFactor.totp, { digits: 8, period: 30, algorithm: 'SHA1', window: 1 });
  assert.equal(config.twoFactor.backupCodes, 10);
  assert.equal(config.session.maxAgeMs, 3_600_000);
  assert.equal(config.session.idleTimeoutMs, 1_800_000);
});

test('emptied sections and lists (YAML null) count as absent', () => {
  const config = resolve(rawWith({ store: null, protect: null, webhooks: null, server: { trusted_proxies: null, public_url: null } }));
  assert.equal(config.store.redis, null);
  assert.deepEqual(config.protect, []);
  assert.deepEqual(config.webhooks, []);
  assert.deepEqual(config.server.trustedProxies, []);
  assert.equal(config.server.publicUrl, null);
});

test('converts every kind of value', () => {
  const config = resolve(
    rawWith({
      server: { listen: '[::1]:9000', public_url: 'https://app.example.com', trusted_proxies: ['10.0.0.0/8', '::1', 'fd00::/8'], access_log: true },
      upstream: { timeout: '500ms', login_paths: ['/Admin/Login/'] },
      gateway: { path: '/_Auth/', title: 'Example Corp', accent_color: '#ABCDEF' },
      store: { redis: { url: 'redis://127.0.0.1:6379/0' } },
      session: { remember_device: 0 },
      two_factor: { enforce: true, backup_codes: 50, totp: { algorithm: 'SHA512', period: 60, window: 0 } },
      protect: [
        { prefix: '/API/', require: 'login', methods: ['post', 'Put'], groups: ['staff'] },
        { prefix: '/', require: 'otp_if_configured' },
      ],
      default: 'deny',
      metrics: { listen: ':9464' },
    }),
  );
  assert.deepEqual(config.server.listen, { host: '::1', port: 9000 });
  assert.equal(config.server.publicUrl?.origin, 'https://app.example.com');
  assert.deepEqual(config.server.trustedProxies, ['10.0.0.0/8', '::1', 'fd00::/8']);
  assert.equal(config.server.accessLog, true);
  assert.equal(config.upstream.timeoutMs, 500);
  assert.deepEqual(config.upstream.loginPaths, ['/admin/login']);
  assert.equal(config.gateway.path, '/_auth');
  assert.equal(config.gateway.accentColor, '#abcdef');
  assert.deepEqual(config.store.redis, {
    url: 'redis://127.0.0.1:6379/0',
    sentinels: null,
    name: null,
    cluster: null,
    keyPrefix: 'otpgate:',
  });
  assert.equal(config.session.rememberDeviceMs, 0);
  assert.equal(config.twoFactor.enforce, true);
  assert.deepEqual(config.protect, [
    { index: 0, prefix: '/api', require: 'login', methods: ['POST', 'PUT'], groups: ['staff'] },
    { index: 1, prefix: '/', require: 'otp_if_configured', methods: null, groups: null },
  ]);
  assert.equal(config.default, 'deny');
  assert.deepEqual(config.metrics.listen, { host: '0.0.0.0', port: 9464 });
});

test('sentinel and cluster stores', () => {
  const sentinel = resolve(rawWith({ store: { redis: { sentinels: ['10.0.0.1:26379', 'sentinel-2:26379'], name: 'mymaster', key_prefix: 'app:' } } }));
  assert.deepEqual(sentinel.store.redis, {
    url: null,
    sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: 'sentinel-2', port: 26379 }],
    name: 'mymaster',
    cluster: null,
    keyPrefix: 'app:',
  });
  const cluster = resolve(rawWith({ store: { redis: { cluster: ['10.0.0.1:7000', '[fd00::1]:7001'] } } }));
  assert.deepEqual(cluster.store.redis?.cluster, [{ host: '10.0.0.1', port: 7000 }, { host: 'fd00::1', port: 7001 }]);
});

test('webhooks: the whsec_ secret is decoded, "*" stands alone', () => {
  const config = resolve(
    rawWith({
      webhooks: [
        { url: 'https://hooks.example.com/otpgate?source=gw', secret: `whsec_${Buffer.alloc(24, 9).toString('base64')}`, events: ['user.verified', 'user.verified', 'device.enrolled'] },
        { url: 'http://10.0.0.5/hook', secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`, events: ['user.locked_out', '*'] },
      ],
    }),
  );
  assert.equal(config.webhooks.length, 2);
  assert.equal(config.webhooks[0]?.url.href, 'https://hooks.example.com/otpgate?source=gw');
  assert.deepEqual(config.webhooks[0]?.secret, Buffer.alloc(24, 9));
  assert.deepEqual(config.webhooks[0]?.events, ['user.verified', 'device.enrolled']);
  assert.deepEqual(config.webhooks[1]?.events, ['*']);
});

test('relative paths are resolved against baseDir, absolute ones kept', () => {
  const relative = resolve(rawWith({ users: { file: 'conf/users.yaml' }, gateway: { logo: './img/logo.png' } }));
  assert.equal(relative.users.file, `${BASE_DIR}/conf/users.yaml`);
  assert.equal(relative.gateway.logo, `${BASE_DIR}/img/logo.png`);
  const absolute = resolve(rawWith({ users: { file: '/etc/otpgate/users.yaml' }, gateway: { logo: '/var/www/logo.svg' } }));
  assert.equal(absolute.users.file, '/etc/otpgate/users.yaml');
  assert.equal(absolute.gateway.logo, '/var/www/logo.svg');
});
