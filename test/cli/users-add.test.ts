import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { verifyPassword } from '../../src/auth/passwords.ts';
import { parseUsersYaml } from '../../src/auth/users.ts';
import type { CliIO } from '../../src/cli/io.ts';
import { usersAddCommand } from '../../src/cli/users-add.ts';

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

async function run(args: string[], password = 'a good password\n') {
  const stdout = sink();
  const stderr = sink();
  const io: CliIO = { stdin: Readable.from([password]), stdout, stderr, env: {} };
  const code = await usersAddCommand(args, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('otpgate users add', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otpgate-users-add-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('creates the file, owner-only, with a users map', async () => {
    const file = join(dir, 'new.yaml');
    const r = await run(['alice', '--email', 'alice@example.com', '--groups', 'staff, ops,', '--file', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const users = parseUsersYaml(await readFile(file, 'utf8'), file);
    const alice = users.get('alice');
    assert.equal(alice?.email, 'alice@example.com');
    assert.deepEqual(alice?.groups, ['staff', 'ops']);
    assert.equal(alice?.disabled, false);
    assert.equal(await verifyPassword(alice?.passwordHash ?? '', 'a good password'), true);
    assert.equal((await stat(file)).mode & 0o077, 0);
    // The hash stays on one line, readable and copyable.
    assert.match(await readFile(file, 'utf8'), /^ {4}password: "\$argon2id\$[^"\n]+"$/m);
  });

  test('keeps comments and the other users of an existing file', async () => {
    const file = join(dir, 'existing.yaml');
    const first = await run(['bob', `--file=${file}`]);
    assert.equal(first.code, 0, first.stderr);
    const original = await readFile(file, 'utf8');
    const commented = `# Who may pass the gateway.\n${original.replace('  bob:', '  # Bob runs the billing team\n  bob:')}`;
    await writeFile(file, commented);

    const r = await run(['carol', '--file', file, '--groups', 'staff']);
    assert.equal(r.code, 0, r.stderr);
    const text = await readFile(file, 'utf8');
    assert.ok(text.startsWith('# Who may pass the gateway.\n'), text);
    assert.ok(text.includes('  # Bob runs the billing team\n  bob:'), text);
    const users = parseUsersYaml(text, file);
    assert.deepEqual([...users.keys()], ['bob', 'carol']);
    assert.equal(users.get('bob')?.passwordHash, parseUsersYaml(original, file).get('bob')?.passwordHash);
  });

  test('follows a symlinked users file and keeps the file\'s mode whatever the umask', async () => {
    await mkdir(join(dir, 'real'));
    const real = join(dir, 'real', 'users.yaml');
    const link = join(dir, 'link.yaml');
    assert.equal((await run(['dave', '--file', real])).code, 0);
    await chmod(real, 0o644);
    await symlink(real, link);
    const umask = process.umask(0o077);
    try {
      const r = await run(['erin', '--file', link]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      process.umask(umask);
    }
    assert.ok((await lstat(link)).isSymbolicLink(), 'the link is still a link');
    assert.deepEqual([...parseUsersYaml(await readFile(real, 'utf8'), real).keys()], ['dave', 'erin']);
    assert.equal((await stat(real)).mode & 0o777, 0o644);
  });

  test('an existing user is refused with exit 1 and the file left alone', async () => {
    const file = join(dir, 'dupe.yaml');
    assert.equal((await run(['dave', '--file', file])).code, 0);
    const before = await readFile(file, 'utf8');
    const again = await run(['dave', '--file', file]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /user "dave" already exists/);
    const cased = await run(['Dave', '--file', file]);
    assert.equal(cased.code, 1);
    assert.match(cased.stderr, /already exists/);
    assert.equal(await readFile(file, 'utf8'), before);
  });

  test('bad input is exit 1: empty password, bad name, e-mail or group, broken file', async () => {
    const file = join(dir, 'bad.yaml');
    const empty = await run(['erin', '--file', file], '\n');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /empty password/);
    await assert.rejects(stat(file)); // nothing written

    assert.equal((await run(['no spaces', '--file', file])).code, 1);
    assert.equal((await run(['erin', '--email', 'nope', '--file', file])).code, 1);
    assert.equal((await run(['erin', '--groups', 'a b', '--file', file])).code, 1);

    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'users:\n  frank: [\n');
    const r = await run(['erin', '--file', broken]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /YAML syntax error/);
    assert.equal(await readFile(broken, 'utf8'), 'users:\n  frank: [\n');
  });

  test('usage errors are exit 2', async () => {
    assert.equal((await run(['--file', join(dir, 'x.yaml')])).code, 2); // no NAME
    assert.equal((await run(['a', 'b', '--file', join(dir, 'x.yaml')])).code, 2); // two names
    const noFile = await run(['alice']);
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /--file is required[\s\S]*usage: otpgate users add/);
    assert.equal((await run(['alice', '--file', join(dir, 'x.yaml'), '--admin'])).code, 2);
  });
});
