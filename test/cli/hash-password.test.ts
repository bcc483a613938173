import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { verifyPassword } from '../../src/auth/passwords.ts';
import { hashPasswordCommand } from '../../src/cli/hash-password.ts';
import type { CliIO } from '../../src/cli/io.ts';

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
}

function pipedIO(input: string) {
  const stdout = sink();
  const stderr = sink();
  const io: CliIO = { stdin: Readable.from([input]), stdout, stderr, env: {} };
  return { io, stdout, stderr };
}

/** A terminal: typed keys arrive as data, and raw mode switches are recorded. */
function terminalIO(keys: string[]) {
  const stdin = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode: (raw: boolean) => void; modes: boolean[] };
  stdin.isTTY = true;
  stdin.modes = [];
  stdin.setRawMode = (raw) => void stdin.modes.push(raw);
  const stdout = sink();
  const stderr = sink();
  const io: CliIO = { stdin, stdout, stderr, env: {} };
  // Each keystroke batch arrives after the command starts listening.
  setImmediate(() => {
    for (const k of keys) stdin.write(k);
  });
  return { io, stdin, stdout, stderr };
}

describe('otpgate hash-password', () => {
  test('piped: hashes the first line, prints the hash alone on one line', async () => {
    const { io, stdout, stderr } = pipedIO('correct horse battery\r\nsecond line\n');
    assert.equal(await hashPasswordCommand([], io), 0);
    const out = stdout.text();
    assert.match(out, /^\$argon2id\$v=19\$[^\n]+\n$/);
    assert.equal(await verifyPassword(out.trim(), 'correct horse battery'), true);
    assert.equal(stderr.text(), '');
  });

  test('piped without a trailing newline', async () => {
    const { io, stdout } = pipedIO('no newline here');
    assert.equal(await hashPasswordCommand([], io), 0);
    assert.equal(await verifyPassword(stdout.text().trim(), 'no newline here'), true);
  });

  test('an empty password is refused with exit 1', async () => {
    for (const input of ['', '\n', '\r\n']) {
      const { io, stdout, stderr } = pipedIO(input);
      assert.equal(await hashPasswordCommand([], io), 1);
      assert.equal(stdout.text(), '');
      assert.match(stderr.text(), /empty password/);
    }
  });

  test('on a terminal: asks twice without echo', async () => {
    const { io, stdin, stdout, stderr } = terminalIO(['s3cr', 'etx\u007f\r', 's3cret\r']);
    assert.equal(await hashPasswordCommand([], io), 0);
    assert.equal(await verifyPassword(stdout.text().trim(), 's3cret'), true);
    assert.deepEqual(stdin.modes, [true, false]);
    assert.ok(!stderr.text().includes('s3cr'), 'the password is not echoed');
    assert.match(stderr.text(), /Password: [\s\S]*Again: /);
  });

  test('on a terminal: a mismatch or Ctrl-C gives exit 1 and no hash', async () => {
    const mismatch = terminalIO(['one\r', 'two\r']);
    assert.equal(await hashPasswordCommand([], mismatch.io), 1);
    assert.match(mismatch.stderr.text(), /do not match/);
    assert.equal(mismatch.stdout.text(), '');

    const cancelled = terminalIO(['par', '\u0003']);
    assert.equal(await hashPasswordCommand([], cancelled.io), 1);
    assert.equal(cancelled.stdout.text(), '');
    assert.deepEqual(cancelled.stdin.modes, [true, false]);
  });

  test('arguments are a usage error (exit 2)', async () => {
    const { io, stderr } = pipedIO('pw\n');
    assert.equal(await hashPasswordCommand(['extra'], io), 2);
    assert.match(stderr.text(), /usage: otpgate hash-password/);
    assert.equal(await hashPasswordCommand(['--cost=9'], pipedIO('pw\n').io), 2);
  });
});
