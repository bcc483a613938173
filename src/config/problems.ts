// Turning validation issues into the one-line problems an operator reads:
// "<key path>: <what is wrong>", e.g. `protect[1].require: "otpp" is not one
// of public, login, otp, otp_if_configured, deny`.
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;
type PathPart = PropertyKey;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `protect[1].require`; the whole document is "(top level)". */
export function formatKeyPath(path: readonly PathPart[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      out += PLAIN_KEY.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? '(top level)' : out;
}

export function problemAt(path: readonly PathPart[], message: string): string {
  return `${formatKeyPath(path)}: ${message}`;
}

/** A short description of a value found where something else was expected. */
export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (Buffer.isBuffer(value)) return 'binary data';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
      return `the text ${JSON.stringify(shown)}`;
    }
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function knownKeys(issue: RawIssue): string[] {
  const def = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def;
  return def?.shape === undefined ? [] : Object.keys(def.shape);
}

/** The zod error map used for every config parse: messages written for operators. */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value': {
      const allowed = issue.values.map(String).join(', ');
      if (issue.input === undefined) return `is required: one of ${allowed}`;
      const found = typeof issue.input === 'string' ? JSON.stringify(issue.input) : describeValue(issue.input);
      return `${found} is not one of ${allowed}`;
    }
    case 'unrecognized_keys': {
      const known = knownKeys(issue);
      return known.length > 0 ? `unknown key (known keys here: ${known.join(', ')})` : 'unknown key';
    }
    case 'too_small':
      if (issue.origin === 'array') return `must list at least ${issue.minimum}`;
      if (issue.origin === 'string') return `must be at least ${issue.minimum} characters long`;
      return `must be at least ${issue.minimum}, got ${String(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `must list at most ${issue.maximum}`;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      return `must be at most ${issue.maximum}, got ${String(issue.input)}`;
    default:
      return undefined;
  }
};

/** One problem per issue; an unknown-keys issue becomes one problem per key, each naming it. */
export function issuesToProblems(issues: readonly Issue[], base: readonly PathPart[] = []): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(problemAt([...path, key], issue.message));
    } else {
      problems.push(problemAt(path, issue.message));
    }
  }
  return problems;
}
