import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../../src/config/load.ts';
import { ConfigError, OtpgateError } from '../../src/errors.ts';
import { ENCRYPTION_KEY, SESSION_SECRET, WEBHOOK_KEY, WEBHOOK_SECRET } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'otpgate-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const env = { OTPGATE_SESSION_SECRET: SESSION_SECRET, OTPGATE_ENCRYPTION_KEY: ENCRYPTION_KEY, OTPGATE_WEBHOOK_SECRET: WEBHOOK_SECRET };

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const MINIMAL = `
upstream:
  url: http://127.0.0.1:8000
secrets:
  session: \${OTPGATE_SESSION_SECRET}
  encryption_key: \${OTPGATE_ENCRYPTION_KEY}
`;

test('config.example.yaml loads, with the values of the SPEC example', () => {
  const example = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));
  const config = loadConfigFile(example, env);
  assert.equal(config.upstream.url.href, 'http://127.0.0.1:8000/');
  assert.deepEqual(config.upstream.loginPaths, ['/admin/login']);
  assert.equal(config.gateway.title, 'Example Corp');
  assert.equal(config.server.publicUrl?.origin, 'https://app.example.com');
  assert.equal(config.store.redis?.url, 'redis://127.0.0.1:6379/0');
  assert.equal(config.store.redis?.keyPrefix, 'otpgate:');
  assert.deepEqual(
    config.protect.map((rule) => [rule.prefix, rule.require, rule.methods, rule.groups]),
    [
      ['/admin', 'otp', null, null],
      ['/admindocs', 'otp', null, null],
      ['/api', 'login', ['POST', 'PUT', 'PATCH', 'DELETE'], ['staff']],
    ],
  );
  assert.equal(config.default, 'public');
  assert.deepEqual(config.webhooks[0]?.secret, WEBHOOK_KEY);
  assert.deepEqual(config.webhooks[0]?.events, ['user.verified']);
  assert.deepEqual(config.twoFactor.throttle, { freeFailures: 3, lockoutFailures: 10, windowMs: 900_000, lockoutMs: 900_000 });
  assert.equal(config.users.file, join(fileURLToPath(new URL('../../', import.meta.url)), 'users.yaml'));
});

test('relative paths are resolved against the config file\'s folder, not the working directory', () => {
  const file = writeConfig('paths.yaml', `${MINIMAL}users:\n  file: ./etc/users.yaml\ngateway:\n  logo: logo.png\n`);
  const config = loadConfigFile(file, env);
  assert.equal(config.baseDir, dir);
  assert.equal(config.users.file, join(dir, 'etc', 'users.yaml'));
  assert.equal(config.gateway.logo, join(dir, 'logo.png'));
});

test('YAML syntax errors name the line and column', () => {
  const file = writeConfig('syntax.yaml', `${MINIMAL}server:\n  listen: [::1]:8080\n`);
  assert.throws(
    () => loadConfigFile(file, env),
    (err: unknown) =>
      err instanceof ConfigError && err.problems.length > 0 && /^.*syntax\.yaml line 8, column 16: Unexpected scalar/.test(err.problems[0] ?? ''),
  );
  const duplicate = writeConfig('duplicate.yaml', `${MINIMAL}default: public\ndefault: deny\n`);
  assert.throws(
    () => loadConfigFile(duplicate, env),
    (err: unknown) => err instanceof ConfigError && /line 8, column 1: Map keys must be unique/.test(err.problems.join('\n')),
  );
});

test('an empty file is an error, not a config of defaults', () => {
  const file = writeConfig('empty.yaml', '# nothing yet\n');
  assert.throws(() => loadConfigFile(file, env), (err: unknown) => err instanceof ConfigError && /\(top level\): expected a mapping/.test(err.message));
});

test('a YAML alias bomb is refused', () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (const name of ['b', 'c', 'd', 'e', 'f']) {
    const previous = String.fromCharCode(name.charCodeAt(0) - 1);
    bomb.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
  }
  const file = writeConfig('bomb.yaml', `${bomb.join('\n')}\n`);
  assert.throws(() => loadConfigFile(file, env), ConfigError);
});

test('a missing file is CONFIG_NOT_FOUND', () => {
  assert.throws(
    () => loadConfigFile(join(dir, 'nope.yaml'), env),
    (err: unknown) => err instanceof OtpgateError && err.code === 'CONFIG_NOT_FOUND' && err.message.includes('nope.yaml'),
  );
});

test('problems after parsing come as one ConfigError', () => {
  const file = writeConfig('bad.yaml', `${MINIMAL}server:\n  listen: nowhere\nprotect:\n  - prefix: /a\n    require: otpp\n`);
  assert.throws(
    () => loadConfigFile(file, env),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.code === 'CONFIG_INVALID' &&
      err.problems.length === 2 &&
      err.problems[0]?.startsWith('server.listen: ') === true &&
      err.problems[1] === 'protect[0].require: "otpp" is not one of public, login, otp, otp_if_configured, deny',
  );
});
