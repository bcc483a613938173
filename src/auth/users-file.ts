// Parsing and validation of the users file (pure: text in, users or an error out).
//
//   users:
//     alice:
//       password: "$argon2id$..."
//       email: alice@example.com
//       groups: [staff]
//       disabled: false
//
// Every problem is reported with the file, the line, the user and the key, and
// all problems are reported at once so an operator fixes them in one go.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { OtpgateError } from '../errors.ts';
import { isSupportedHash } from './passwords.ts';

export interface User {
  username: string;
  passwordHash: string;
  email: string | null;
  groups: string[];
  disabled: boolean;
}

/** 1-64 letters, digits, `.`, `_`, `@` or `-`: safe in headers, keys and logs. */
export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

const USER_KEYS = new Set(['password', 'email', 'groups', 'disabled']);
// One @ between printable ASCII without spaces: enough to catch typos, and
// safe to send upstream in a header (no control or non-ASCII characters).
const EMAIL_PATTERN = /^[!-?A-~]{1,64}@[!-?A-~]{1,255}$/;
// Groups travel in a comma-separated header, so a comma, space or control
// character would corrupt it; printable ASCII only.
const GROUP_PATTERN = /^[!-+\--~]{1,64}$/;

export function isValidUsername(name: string): boolean {
  return USERNAME_PATTERN.test(name);
}

export function isValidEmail(email: string): boolean {
  return EMAIL_PATTERN.test(email);
}

export function isValidGroup(group: string): boolean {
  return GROUP_PATTERN.test(group);
}

/**
 * Parses the users file. Returns the users by name; throws
 * OtpgateError('USERS_FILE_INVALID') listing every problem found.
 */
export function parseUsersYaml(text: string, file: string): Map<string, User> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = [];
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    return offset === undefined ? file : `${file}:${lineCounter.linePos(offset).line}`;
  };

  for (const err of doc.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    problems.push(`${file}:${pos.line}:${pos.col}: YAML syntax error: ${err.message}`);
  }
  if (problems.length > 0) throw invalid(file, problems);

  const users = new Map<string, User>();
  const root = doc.contents;
  if (!isMap(root)) {
    throw invalid(file, [`${at(root)}: the file must be a map with a \`users:\` key`]);
  }
  let usersNode: Node | null = null;
  let sawUsers = false;
  for (const pair of root.items) {
    const key = keyText(pair.key);
    if (key === 'users') {
      sawUsers = true;
      usersNode = resolve(doc, pair.value);
    } else {
      problems.push(`${at(pair.key as Node)}: unknown key \`${key ?? '?'}\` (only \`users\` is allowed)`);
    }
  }
  // `users:` with nothing under it is an empty directory, not an error.
  const emptyUsers = usersNode === null || (isScalar(usersNode) && usersNode.value === null);
  if (!sawUsers) problems.push(`${file}: missing \`users:\``);
  else if (!emptyUsers && !isMap(usersNode)) problems.push(`${at(usersNode)}: \`users\` must be a map of usernames`);

  const lowerNames = new Map<string, string>();
  if (isMap(usersNode)) {
    for (const pair of usersNode.items) {
      const name = keyText(pair.key);
      const where = at(pair.key as Node);
      if (name === null || !isValidUsername(name)) {
        problems.push(`${where}: users.${name ?? '?'}: invalid username (1-64 letters, digits, '.', '_', '@', '-')`);
        continue;
      }
      // Names differing only by case would look like one person in upstream
      // logs and headers; refuse the ambiguity.
      const clash = lowerNames.get(name.toLowerCase());
      if (clash !== undefined) {
        problems.push(`${where}: users.${name}: same name as users.${clash} apart from letter case`);
        continue;
      }
      lowerNames.set(name.toLowerCase(), name);
      const user = parseUser(doc, name, resolve(doc, pair.value), where, at, problems);
      if (user) users.set(name, user);
    }
  }
  if (problems.length > 0) throw invalid(file, problems);
  return users;
}

function parseUser(
  doc: Document,
  name: string,
  node: Node | null,
  where: string,
  at: (node: Node | null | undefined) => string,
  problems: string[],
): User | null {
  const before = problems.length;
  if (!isMap(node)) {
    problems.push(`${node ? at(node) : where}: users.${name}: must be a map with at least \`password\``);
    return null;
  }
  const user: User = { username: name, passwordHash: '', email: null, groups: [], disabled: false };
  let hasPassword = false;
  for (const pair of node.items) {
    const key = keyText(pair.key);
    const value = resolve(doc, pair.value);
    const here = `${at((value ?? pair.key) as Node)}: users.${name}.${key ?? '?'}`;
    switch (key) {
      case 'password': {
        hasPassword = true;
        const v = scalarValue(value);
        if (typeof v !== 'string' || !isSupportedHash(v)) {
          problems.push(`${here}: must be an argon2id or scrypt hash ($argon2id$... or $scrypt$...; see \`otpgate hash-password\`)`);
        } else {
          user.passwordHash = v;
        }
        break;
      }
      case 'email': {
        const v = scalarValue(value);
        if (v === null) break;
        if (typeof v !== 'string' || !isValidEmail(v)) problems.push(`${here}: must be an e-mail address`);
        else user.email = v;
        break;
      }
      case 'groups': {
        if (isScalar(value) && value.value === null) break;
        if (!isSeq(value)) {
          problems.push(`${here}: must be a list of group names`);
          break;
        }
        for (const item of value.items) {
          const g = scalarValue(resolve(doc, item as Node));
          if (typeof g !== 'string' || !isValidGroup(g)) {
            problems.push(`${at(item as Node)}: users.${name}.groups: invalid group name (no spaces or commas, at most 64 characters)`);
          } else if (!user.groups.includes(g)) {
            user.groups.push(g);
          }
        }
        break;
      }
      case 'disabled': {
        const v = scalarValue(value);
        if (typeof v !== 'boolean') problems.push(`${here}: must be true or false`);
        else user.disabled = v;
        break;
      }
      default:
        problems.push(
          `${at(pair.key as Node)}: users.${name}.${key ?? '?'}: unknown key (allowed: ${[...USER_KEYS].join(', ')})`,
        );
    }
  }
  if (!hasPassword) problems.push(`${where}: users.${name}.password: missing`);
  return problems.length === before ? user : null;
}

/** The text of a map key as written (so `007:` stays "007"), or null for a non-scalar key. */
function keyText(key: unknown): string | null {
  if (!isScalar(key)) return null;
  if (typeof key.value === 'string') return key.value;
  if (typeof key.source === 'string') return key.source;
  return typeof key.value === 'number' ? String(key.value) : null;
}

function resolve(doc: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return (node as Node | null) ?? null;
}

function scalarValue(node: Node | null): unknown {
  return isScalar(node) ? node.value : node === null ? null : undefined;
}

function invalid(file: string, problems: string[]): OtpgateError {
  return new OtpgateError(
    'USERS_FILE_INVALID',
    `invalid users file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
}
