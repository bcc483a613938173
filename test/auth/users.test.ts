import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../src/auth/passwords.ts';
import { credentialChanges, parseUsersYaml, UserDirectory, type User } from '../../src/auth/users.ts';
import { OtpgateError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { silentLogger } from '../../src/logger.ts';

const FILE = '/etc/otpgate/users.yaml';
// A syntactically valid argon2id hash for parsing tests (never verified).
const H = '$argon2id$v=19$m=32768,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';

function problemsOf(text: string): string {
  try {
    parseUsersYaml(text, FILE);
  } catch (err) {
    assert.ok(err instanceof OtpgateError);
    assert.equal(err.code, 'USERS_FILE_INVALID');
    return err.message;
  }
  assert.fail('expected the users file to be refused');
}

describe('parseUsersYaml', () => {
  test('reads users with defaults for the optional keys', () => {
    const users = parseUsersYaml(
      [
        'users:',
        '  alice:',
        `    password: "${H}"`,
        '    email: alice@example.com',
        '    groups: [staff, ops]',
        '    disabled: false',
        '  bob.smith-2:',
        `    password: "${H}"`,
        '  "007":',
        `    password: "${H}"`,
        '    disabled: true',
        '',
      ].join('\n'),
      FILE,
    );
    assert.deepEqual([...users.keys()], ['alice', 'bob.smith-2', '007']);
    assert.deepEqual(users.get('alice'), {
      username: 'alice',
      passwordHash: H,
      email: 'alice@example.com',
      groups: ['staff', 'ops'],
      disabled: false,
    });
    assert.deepEqual(users.get('bob.smith-2'), {
      username: 'bob.smith-2',
      passwordHash: H,
      email: null,
      groups: [],
      disabled: false,
    });
    assert.equal(users.get('007')?.disabled, true);
  });

  test('an empty users map is an empty directory', () => {
    assert.equal(parseUsersYaml('users:\n', FILE).size, 0);
    assert.equal(parseUsersYaml('users: {}\n', FILE).size, 0);
  });

  test('a user named like an object property is just a user', () => {
    const users = parseUsersYaml(`users:\n  __proto__:\n    password: "${H}"\n`, FILE);
    assert.equal(users.get('__proto__')?.username, '__proto__');
    assert.equal(users.get('constructor'), undefined);
  });

  test('every problem names the file, the line, the user and the key', () => {
    const message = problemsOf(
      [
        'users:', //                               1
        '  alice:', //                             2
        `    password: "${H}"`, //                 3
        '    email: not-an-address', //            4
        '    groups: staff', //                    5
        '    disabled: "no"', //                   6
        '    role: admin', //                      7
        '  bob:', //                               8
        '    password: hunter2', //                9
        '  carol:', //                            10
        '    email: carol@example.com', //        11
        '  dave:', //                             12
        `    password: "${H}"`, //                13
        '    groups: [ok, "has space", "a,b"]', //14
        '',
      ].join('\n'),
    );
    const expected = [
      `${FILE}:4: users.alice.email: must be an e-mail address`,
      `${FILE}:5: users.alice.groups: must be a list of group names`,
      `${FILE}:6: users.alice.disabled: must be true or false`,
      `${FILE}:7: users.alice.role: unknown key`,
      `${FILE}:9: users.bob.password: must be an argon2id or scrypt hash`,
      `${FILE}:10: users.carol.password: missing`,
      `${FILE}:14: users.dave.groups: invalid group name`,
    ];
    for (const line of expected) assert.ok(message.includes(line), `missing "${line}" in:\n${message}`);
    assert.ok(message.startsWith(`invalid users file ${FILE}:`));
  });

  test('bad usernames, and names that differ only by case, are refused', () => {
    const message = problemsOf(
      `users:\n  "bad name":\n    password: "${H}"\n  Alice:\n    password: "${H}"\n  alice:\n    password: "${H}"\n`,
    );
    assert.match(message, new RegExp(`${FILE}:2: users.bad name: invalid username`));
    assert.match(message, new RegExp(`${FILE}:6: users.alice: same name as users.Alice apart from letter case`));
    const long = 'a'.repeat(65);
    assert.match(problemsOf(`users:\n  ${long}:\n    password: "${H}"\n`), /invalid username/);
  });

  test('unknown top-level keys, a missing users key and a wrong shape are refused', () => {
    assert.match(problemsOf(`users: {}\nadmins: []\n`), new RegExp(`${FILE}:2: unknown key \`admins\``));
    assert.match(problemsOf(`people: {}\n`), /missing `users:`/);
    assert.match(problemsOf(`users: [alice]\n`), /`users` must be a map of usernames/);
    assert.match(problemsOf(`- alice\n`), /must be a map with a `users:` key/);
    assert.match(problemsOf(``), /must be a map with a `users:` key/);
    assert.match(problemsOf(`users:\n  alice: yes\n`), new RegExp(`${FILE}:2: users.alice: must be a map`));
  });

  test('YAML syntax errors carry line and column', () => {
    assert.match(problemsOf(`users:\n  alice:\n    password: "${H}\n`), new RegExp(`${FILE}:\\d+:\\d+: YAML syntax error`));
    assert.match(
      problemsOf(`users:\n  alice:\n    password: "${H}"\n  alice:\n    password: "${H}"\n`),
      new RegExp(`${FILE}:4:3: YAML syntax error: .*[Uu]nique`),
    );
  });
});

function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { ...silentLogger, errors, error: (obj, msg) => void errors.push(String(msg ?? obj)) };
}

async function replaceFile(file: string, text: string): Promise<void> {
  const temp = `${file}.next`;
  await writeFile(temp, text);
  await rename(temp, file);
}

describe('credentialChanges', () => {
  const user = (name: string, hash: string, disabled = false): [string, User] => [
    name,
    { username: name, passwordHash: hash, email: null, groups: [], disabled },
  ];
  test('names users whose password changed, who were removed, or who were disabled', () => {
    const before = new Map([user('a', 'h1'), user('b', 'h2'), user('c', 'h3'), user('d', 'h4', true), user('e', 'h5')]);
    const after = new Map([user('a', 'h1'), user('b', 'h2-new'), user('d', 'h4', true), user('e', 'h5', true), user('f', 'h6')]);
    assert.deepEqual(credentialChanges(before, after).sort(), ['b', 'c', 'e']);
  });
});

describe('UserDirectory', () => {
  let dir: string;
  let aliceHash: string;
  const verified: string[] = [];
  const recordingVerifier = (hash: string, password: string) => {
    verified.push(hash);
    return verifyPassword(hash, password);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otpgate-users-'));
    aliceHash = await hashPassword('alice-password');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const usersText = (extra = '') =>
    `# people allowed in\nusers:\n  alice:\n    password: "${aliceHash}"\n    groups: [staff]\n  mallory:\n    password: "${aliceHash}"\n    disabled: true\n${extra}`;

  test('load names the file when it is missing or invalid', async () => {
    const missing = join(dir, 'nope.yaml');
    await assert.rejects(UserDirectory.load(missing, silentLogger), (err: unknown) => {
      assert.ok(err instanceof OtpgateError);
      assert.equal(err.code, 'USERS_FILE_INVALID');
      assert.ok(err.message.includes(missing));
      return true;
    });
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'users:\n  alice:\n    pasword: x\n');
    await assert.rejects(UserDirectory.load(broken, silentLogger), /broken\.yaml:3: users\.alice\.pasword: unknown key/);
  });

  test('authenticate: right password, wrong password, unknown and disabled users', async () => {
    const file = join(dir, 'auth.yaml');
    await writeFile(file, usersText());
    const users = await UserDirectory.load(file, silentLogger, { verifyPassword: recordingVerifier });
    assert.equal(users.size, 2);
    assert.equal(users.get('alice')?.groups[0], 'staff');

    verified.length = 0;
    assert.equal((await users.authenticate('alice', 'alice-password'))?.username, 'alice');
    assert.equal(await users.authenticate('alice', 'wrong'), null);
    assert.deepEqual(verified, [aliceHash, aliceHash]);

    // Unknown and disabled users cost one verification too, against the dummy hash.
    verified.length = 0;
    assert.equal(await users.authenticate('nobody', 'alice-password'), null);
    assert.equal(await users.authenticate('mallory', 'alice-password'), null);
    assert.equal(await users.authenticate('ALICE', 'alice-password'), null);
    assert.deepEqual(verified, [DUMMY_HASH, DUMMY_HASH, DUMMY_HASH]);
  });

  test('watch reloads on change, keeps the last good users on a broken edit', async () => {
    const file = join(dir, 'watched.yaml');
    await writeFile(file, usersText());
    const logger = recordingLogger();
    const users = await UserDirectory.load(file, logger, { debounceMs: 50 });
    users.watch();
    try {
      // An edit in place.
      let reloaded = once(users, 'reloaded');
      await writeFile(file, usersText(`  bob:\n    password: "${aliceHash}"\n`));
      assert.deepEqual(await reloaded, [3]);
      assert.equal(users.get('bob')?.username, 'bob');

      // A broken edit (written whole, so no half-written state is seen):
      // logged, previous users kept.
      const failed = once(users, 'reloadFailed');
      logger.errors.length = 0;
      await replaceFile(file, usersText(`  eve:\n    password: plaintext\n`));
      const [error] = (await failed) as [Error];
      assert.match(error.message, /users\.eve\.password/);
      assert.equal(users.get('bob')?.username, 'bob');
      assert.equal(users.get('eve'), undefined);
      assert.ok(logger.errors.length >= 1);

      // An editor-style replacement: a new file renamed over the old one.
      reloaded = once(users, 'reloaded');
      await replaceFile(file, usersText());
      assert.deepEqual(await reloaded, [2]);
      assert.equal(users.get('bob'), undefined);
      assert.equal((await users.authenticate('alice', 'alice-password'))?.username, 'alice');
    } finally {
      users.close();
    }
  });

  test('reload() reports whether the file could be used', async () => {
    const file = join(dir, 'manual.yaml');
    await writeFile(file, usersText());
    const users = await UserDirectory.load(file, silentLogger);
    assert.equal(await users.reload(), true);
    await writeFile(file, 'users: [');
    assert.equal(await users.reload(), false);
    assert.equal(users.size, 2);
    await writeFile(file, 'users: {}\n');
    assert.equal(await users.reload(), true);
    assert.equal(users.size, 0);
  });
});
