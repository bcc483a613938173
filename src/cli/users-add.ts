// `otpgate users add NAME [--email E] [--groups a,b] --file users.yaml`:
// adds a user to the users file, keeping its comments, order and other users.
import { randomBytes } from 'node:crypto';
import { chmod, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { hashPassword } from '../auth/passwords.ts';
import { isValidEmail, isValidGroup, isValidUsername, parseUsersYaml } from '../auth/users.ts';
import { OtpgateError } from '../errors.ts';
import { parseFlags } from './args.ts';
import { readNewPassword } from './hash-password.ts';
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE, type Command } from './io.ts';

const USAGE = 'usage: otpgate users add NAME [--email E] [--groups a,b] --file users.yaml\n';
const WHO = 'otpgate users add';

export const usersAddCommand: Command = async (args, io) => {
  const parsed = parseFlags(args, {
    email: { type: 'string' },
    groups: { type: 'string' },
    file: { type: 'string' },
    help: { type: 'boolean' },
  });
  if ('error' in parsed) return usage(`${parsed.error}`);
  if (parsed.values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const { email, groups: groupList, file } = parsed.values as { email?: string; groups?: string; file?: string };
  if (parsed.positionals.length !== 1) return usage('expects exactly one NAME');
  if (!file) return usage('--file is required');
  const name = parsed.positionals[0] ?? '';

  const fail = (message: string) => {
    io.stderr.write(`${WHO}: ${message}\n`);
    return EXIT_BAD_INPUT;
  };
  if (!isValidUsername(name)) return fail(`invalid username "${name}": 1-64 letters, digits, '.', '_', '@' or '-'`);
  if (email !== undefined && !isValidEmail(email)) return fail(`invalid e-mail address "${email}"`);
  const groups = [...new Set((groupList ?? '').split(',').map((g) => g.trim()).filter((g) => g !== ''))];
  const badGroup = groups.find((g) => !isValidGroup(g));
  if (badGroup !== undefined) return fail(`invalid group name "${badGroup}"`);

  // Refuse a clash before asking for a password, and again after, in case the
  // file changed while the password was being typed.
  const before = await addUser(file, name, { passwordHash: '$placeholder', email, groups });
  if (typeof before === 'string') return fail(before);

  const password = await readNewPassword(io, WHO);
  if (password === null) return EXIT_BAD_INPUT;
  const after = await addUser(file, name, { passwordHash: await hashPassword(password), email, groups });
  if (typeof after === 'string') return fail(after);

  try {
    parseUsersYaml(after.text, file);
  } catch (err) {
    // Refuse to write a file the gateway would not load.
    if (err instanceof OtpgateError) return fail(`${err.message}\n(the file was not changed)`);
    throw err;
  }
  await writeAtomically(file, after.text, after.mode);
  io.stderr.write(`${WHO}: added ${name} to ${file}\n`);
  return EXIT_OK;

  function usage(message: string): number {
    io.stderr.write(`${WHO}: ${message}\n${USAGE}`);
    return EXIT_USAGE;
  }
};

interface NewUser {
  passwordHash: string;
  email: string | undefined;
  groups: string[];
}

/** The file's new text with the user added (and its current mode), or a message saying why not. */
async function addUser(
  file: string,
  name: string,
  user: NewUser,
): Promise<{ text: string; mode: number } | string> {
  let text: string | null;
  let mode = 0o600; // a new file holds password hashes: owner only
  try {
    text = await readFile(file, 'utf8');
    mode = (await stat(file)).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return `cannot read ${file}: ${(err as Error).message}`;
    text = null;
  }

  const doc = text === null ? new Document({ users: {} }) : parseDocument(text);
  const syntax = doc.errors[0];
  if (syntax) return `${file}: YAML syntax error: ${syntax.message}`;
  if (doc.contents !== null && !isMap(doc.contents)) return `${file}: the file must be a map with a \`users:\` key`;

  let users = doc.get('users', true);
  if (users === undefined || (isScalar(users) && users.value === null)) {
    doc.set('users', doc.createNode({}));
    users = doc.get('users', true);
  }
  if (!isMap(users)) return `${file}: \`users\` must be a map of usernames`;
  for (const pair of users.items) {
    const existing = isScalar(pair.key) ? String(pair.key.value) : '';
    if (existing.toLowerCase() === name.toLowerCase()) {
      return existing === name
        ? `user "${name}" already exists in ${file}`
        : `user "${existing}" already exists in ${file} (names differing only in letter case are not allowed)`;
    }
  }

  const entry: Record<string, unknown> = { password: user.passwordHash };
  if (user.email !== undefined) entry['email'] = user.email;
  if (user.groups.length > 0) entry['groups'] = user.groups;
  const node = doc.createNode(entry);
  const password = node.get('password', true);
  if (isScalar(password)) password.type = 'QUOTE_DOUBLE';
  const groupsNode = node.get('groups', true);
  if (isSeq(groupsNode)) groupsNode.flow = true;
  users.flow = false; // `users: {}` becomes a block map once it has someone in it
  users.set(name, node);
  // No line folding: a hash split over two lines is hard to read and to copy.
  return { text: doc.toString({ lineWidth: 0 }), mode };
}

/**
 * Writes next to the file and renames over it, so the gateway never reads a
 * half-written file. A symlink is followed (the file it points to is the one
 * replaced), and the file keeps its mode whatever the umask.
 */
async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const file = await realpath(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return path;
    throw err;
  });
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { mode, flag: 'wx' });
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
