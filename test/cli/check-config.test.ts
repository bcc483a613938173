import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkConfigCommand } from '../../src/cli/check-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'otpgate-check-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const env = {
  OTPGATE_SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
  OTPGATE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  OTPGATE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
};

const EXAMPLE = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));

/** A stream that keeps what is written to it, synchronously. */
function recorder(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function run(args: string[], vars: NodeJS.ProcessEnv = env): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = recorder();
  const stderr = recorder();
  const code = await checkConfigCommand(args, { stdin: Readable.from([]), stdout: stdout.stream, stderr: stderr.stream, env: vars });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

test('a valid config: exit 0 and the resolved rules on stdout', async () => {
  const result = await run(['--config', EXAMPLE]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const lines = result.stdout.split('\n');
  assert.ok(lines.some((line) => /^upstream\s+http:\/\/127\.0\.0\.1:8000\/$/.test(line)), result.stdout);
  assert.ok(lines.some((line) => /^gateway\s+\/_otpgate\b/.test(line)));
  assert.ok(lines.some((line) => /^store\s+redis redis:\/\/127\.0\.0\.1:6379\/0/.test(line)));
  assert.ok(lines.some((line) => /^login path\s+\/admin\/login -> \/_otpgate\/login$/.test(line)));
  // The table, in rule order, ending with the default.
  const rows = lines.filter((line) => /^(protect\[\d+\]|default)\s/.test(line)).map((line) => line.split(/\s{2,}/));
  assert.deepEqual(rows, [
    ['protect[0]', '/admin', '*', '-', 'otp'],
    ['protect[1]', '/admindocs', '*', '-', 'otp'],
    ['protect[2]', '/api', 'POST,PUT,PATCH,DELETE', 'staff', 'login'],
    ['default', '(anything else)', '*', '-', 'public'],
  ]);
});

test('--config=FILE works too, and the in-memory store is named', async () => {
  const file = join(dir, 'memory.yaml');
  writeFileSync(
    file,
    'upstream: {url: "http://app:8000"}\nsecrets: {session: "${OTPGATE_SESSION_SECRET}", encryption_key: "${OTPGATE_ENCRYPTION_KEY}"}\n',
  );
  const result = await run([`--config=${file}`]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^store\s+memory/m);
  assert.match(result.stdout, /^default\s+\(anything else\)\s+\*\s+-\s+public$/m);
});

test('a redis password is not printed', async () => {
  const file = join(dir, 'password.yaml');
  writeFileSync(
    file,
    'upstream: {url: "http://app:8000"}\nstore: {redis: {url: "redis://:hunter2-secret@redis:6379/0"}}\n' +
      'secrets: {session: "${OTPGATE_SESSION_SECRET}", encryption_key: "${OTPGATE_ENCRYPTION_KEY}"}\n',
  );
  const result = await run(['--config', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stdout, /hunter2/);
});

test('an invalid config: exit 1 and every problem on stderr', async () => {
  const file = join(dir, 'invalid.yaml');
  writeFileSync(
    file,
    [
      'upstream: {url: "ftp://app"}',
      'secrets: {session: short, encryption_key: "${OTPGATE_ENCRYPTION_KEY}"}',
      'protect:',
      '  - {prefix: /admin/, require: otp}',
      '  - {prefix: /admin/users, require: otpp}',
      '  - {prefix: /admin/x, require: login}',
      '',
    ].join('\n'),
  );
  const result = await run(['--config', file]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  const problems = result.stderr.split('\n').filter((line) => line.startsWith('  - '));
  assert.equal(problems.length, 4, result.stderr);
  assert.match(result.stderr, /4 problems/);
  assert.match(result.stderr, /- upstream\.url: "ftp:\/\/app" must use http or https/);
  assert.match(result.stderr, /- secrets\.session: must be at least 32 characters/);
  assert.match(result.stderr, /- protect\[1\]\.require: "otpp" is not one of public, login, otp, otp_if_configured, deny/);
  assert.match(result.stderr, /- protect\[2\]: can never match .*protect\[0\]/);
});

test('a missing variable is reported by check-config as a problem', async () => {
  const result = await run(['--config', EXAMPLE], { OTPGATE_SESSION_SECRET: env.OTPGATE_SESSION_SECRET });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /secrets\.encryption_key: environment variable OTPGATE_ENCRYPTION_KEY is not set/);
  assert.match(result.stderr, /webhooks\[0\]\.secret: environment variable OTPGATE_WEBHOOK_SECRET is not set/);
});

test('a YAML syntax error: exit 1 naming the line', async () => {
  const file = join(dir, 'syntax.yaml');
  writeFileSync(file, 'upstream:\n  url: http://app:8000\n   timeout: 30s\n');
  const result = await run(['--config', file]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /syntax\.yaml line \d+, column \d+: /);
});

test('a missing file: exit 1', async () => {
  const result = await run(['--config', join(dir, 'nope.yaml')]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /config file not found: .*nope\.yaml/);
});

test('usage errors: exit 2 with the usage on stderr', async () => {
  for (const args of [[], ['--config'], ['--config', ''], ['--conf', EXAMPLE], ['--config', EXAMPLE, '--verbose'], [EXAMPLE], ['--config', EXAMPLE, '--config', EXAMPLE]]) {
    const result = await run(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /usage: otpgate check-config --config FILE/);
  }
});

test('--help prints the usage and exits 0', async () => {
  const result = await run(['--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /usage: otpgate check-config --config FILE/);
});
