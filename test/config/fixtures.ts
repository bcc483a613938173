// Shared by the config tests: a minimal valid raw config, and a way to see
// the problems a raw config produces.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { resolveConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { ConfigError } from '../../src/errors.ts';

export const SESSION_SECRET = 'a-session-secret-of-at-least-32-characters';
export const ENCRYPTION_KEY = randomBytes(32).toString('base64');
export const WEBHOOK_KEY = randomBytes(24);
export const WEBHOOK_SECRET = `whsec_${WEBHOOK_KEY.toString('base64')}`;

export const BASE_DIR = '/srv/otpgate';

/** The smallest valid config: only the required keys. */
export function minimalRaw(): Record<string, unknown> {
  return {
    upstream: { url: 'http://127.0.0.1:8000' },
    secrets: { session: SESSION_SECRET, encryption_key: ENCRYPTION_KEY },
  };
}

/** minimalRaw() with `extra` sections merged in (section by section, one level deep). */
export function rawWith(extra: Record<string, unknown>): Record<string, unknown> {
  const raw = minimalRaw();
  for (const [key, value] of Object.entries(extra)) {
    const base = raw[key];
    raw[key] =
      base !== null && typeof base === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { ...base, ...value }
        : value;
  }
  return raw;
}

export function resolve(raw: unknown, env: NodeJS.ProcessEnv = {}): Config {
  return resolveConfig(raw, { baseDir: BASE_DIR, env });
}

/** The problems resolving `raw` reports; fails the test when it resolves. */
export function problemsOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolve(raw, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the config to be rejected');
}

/** Asserts exactly one problem, at `keyPath`, whose message matches `pattern`. */
export function assertOneProblem(raw: unknown, keyPath: string, pattern: RegExp): string {
  const problems = problemsOf(raw);
  assert.equal(problems.length, 1, `expected one problem, got:\n${problems.join('\n')}`);
  const [problem = ''] = problems;
  assert.ok(problem.startsWith(`${keyPath}: `), `expected the problem to name ${keyPath}: ${problem}`);
  assert.match(problem, pattern);
  return problem;
}
