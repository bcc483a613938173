import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYaml } from '../../src/config/load.ts';
import { ENCRYPTION_KEY, SESSION_SECRET, minimalRaw, problemsOf, rawWith, resolve } from './fixtures.ts';

const env = { SESSION: SESSION_SECRET, KEY: ENCRYPTION_KEY, HOST: 'app.example.com', PORT: '8443' };

test('replaces ${VAR} in string values at any depth, several per value', () => {
  const config = resolve(
    rawWith({
      secrets: { session: '${SESSION}', encryption_key: '${KEY}' },
      server: { public_url: 'https://${HOST}:${PORT}' },
      protect: [{ prefix: '/admin/', require: 'otp', groups: ['${HOST}'] }],
    }),
    env,
  );
  assert.equal(config.secrets.session, SESSION_SECRET);
  assert.deepEqual(config.secrets.encryptionKey, Buffer.from(ENCRYPTION_KEY, 'base64'));
  assert.equal(config.server.publicUrl?.href, 'https://app.example.com:8443/');
  assert.deepEqual(config.protect[0]?.groups, ['app.example.com']);
});

test('a value with YAML syntax stays one plain string', () => {
  // Were substitution done on the file's text, this value would add keys (or
  // break the file); substituted into the parsed value it is just text.
  const injected = 'a-long-enough-session-secret-value\nserver: {listen: "0.0.0.0:1"}\ndefault: deny # ]: {';
  const raw = parseYaml(`upstream: {url: "http://127.0.0.1:8000"}\nsecrets:\n  session: \${S}\n  encryption_key: ${ENCRYPTION_KEY}\n`, 'test.yaml');
  const config = resolve(raw, { S: injected });
  assert.equal(config.secrets.session, injected);
  assert.deepEqual(config.server.listen, { host: '0.0.0.0', port: 8080 });
  assert.equal(config.default, 'public');
});

test('a substituted value is text; booleans and whole numbers also take their exact text forms', () => {
  const config = resolve(rawWith({ two_factor: { enforce: '${ENFORCE}', backup_codes: '${CODES}' } }), { ENFORCE: 'true', CODES: '8' });
  assert.equal(config.twoFactor.enforce, true);
  assert.equal(config.twoFactor.backupCodes, 8);
  const problems = problemsOf(rawWith({ two_factor: { enforce: '${ENFORCE}' } }), { ENFORCE: 'yes' });
  assert.deepEqual(problems, ['two_factor.enforce: expected true or false, got the text "yes"']);
});

test('an unset variable is an error naming the key and the variable, and nothing else about that key', () => {
  const problems = problemsOf(rawWith({ secrets: { session: '${NOPE_SESSION}', encryption_key: ENCRYPTION_KEY } }));
  assert.deepEqual(problems, ['secrets.session: environment variable NOPE_SESSION is not set']);
});

test('an empty variable is an error too', () => {
  const problems = problemsOf(rawWith({ webhooks: [{ url: 'https://h.example.com', secret: '${WH}', events: ['*'] }] }), { WH: '' });
  assert.deepEqual(problems, ['webhooks[0].secret: environment variable WH is empty']);
});

test('every missing variable is reported', () => {
  const problems = problemsOf(
    rawWith({ secrets: { session: '${A}', encryption_key: '${B}' }, upstream: { url: 'http://${C}:8000' } }),
  );
  assert.deepEqual(problems, [
    'upstream.url: environment variable C is not set',
    'secrets.session: environment variable A is not set',
    'secrets.encryption_key: environment variable B is not set',
  ]);
});

test('a malformed reference is an error; $${ is a literal ${', () => {
  const problems = problemsOf(rawWith({ gateway: { title: 'Corp ${TITLE' } }), { TITLE: 'x' });
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /^gateway\.title: has a "\$\{" that is not a \$\{VARIABLE\} reference/);
  const config = resolve(rawWith({ gateway: { title: 'Price $${AMOUNT} ${TITLE}' } }), { TITLE: 'now', AMOUNT: 'no' });
  assert.equal(config.gateway.title, 'Price ${AMOUNT} now');
});

test('mapping keys are not substituted', () => {
  const problems = problemsOf({ ...minimalRaw(), '${EXTRA}': 1 }, { EXTRA: 'server' });
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /^\["\$\{EXTRA\}"\]: unknown key/);
});
