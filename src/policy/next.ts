// The `next` parameter of the gateway pages: where to go after logging in.
// Only a local path is accepted, so the gateway is never an open redirect.
import { canonicalizeTarget } from './canonical.ts';

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const DEL = 0x7f;

/** Longer values are not paths anyone navigates to; refusing them bounds the work. */
const MAX_LENGTH = 4096;

/**
 * `raw` as a canonical local path plus its query, or `fallback`. Refused: non-
 * strings, anything not starting with exactly one "/" (`//host`, `/\host`,
 * schemes), any backslash (browsers read `\` as `/`), and any whitespace or
 * control character (browsers delete tabs and newlines, so `/\t/evil.com`
 * becomes `//evil.com`), and anything that does not canonicalise.
 */
export function safeNext(raw: unknown, fallback = '/'): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LENGTH) return fallback;
  if (raw.charCodeAt(0) !== SLASH) return fallback;
  const second = raw.charCodeAt(1);
  if (second === SLASH || second === BACKSLASH) return fallback;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= SPACE || c === DEL || c === BACKSLASH) return fallback;
  }
  const target = canonicalizeTarget(raw);
  // Canonical paths never start with "//", but keep the guarantee local.
  if (!target.ok || target.path.charCodeAt(1) === SLASH) return fallback;
  return target.path + target.query;
}
