// "Remember this browser" tokens: a signed statement "this browser passed a
// second factor for <user>, whose devices were at version <n>, until <time>".
// Bumping the user's device version (new device, reset, disable) invalidates
// every remembered browser at once. Pure: no store, no clock of its own.
//
// Format: base64url(JSON payload) "." base64url(HMAC-SHA256(key, payload part))
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface RememberClaims {
  username: string;
  deviceVersion: number;
  /** Epoch milliseconds after which the token is refused. */
  expiresAt: number;
}

// Anything longer is not one of ours; refuse before doing any work on it.
const MAX_TOKEN_LENGTH = 512;
const keyCache = new Map<string, Buffer>();

/**
 * The signing key: derived from the session secret for this one purpose, so
 * a token signed here can never pass as a cookie signature or anything else
 * signed with the session secret, and vice versa.
 */
function rememberKey(secret: string): Buffer {
  let key = keyCache.get(secret);
  if (!key) {
    key = createHmac('sha256', secret).update('otpgate remember-browser token key v1').digest();
    keyCache.set(secret, key);
  }
  return key;
}

function sign(secret: string, payload: string): Buffer {
  return createHmac('sha256', rememberKey(secret)).update(payload).digest();
}

export function createRememberToken(
  secret: string,
  v: { username: string; deviceVersion: number; expiresAt: number },
): string {
  const payload = Buffer.from(JSON.stringify({ u: v.username, d: v.deviceVersion, e: v.expiresAt })).toString(
    'base64url',
  );
  return `${payload}.${sign(secret, payload).toString('base64url')}`;
}

/** The claims of a valid, unexpired token; null for anything else. */
export function readRememberToken(secret: string, token: string, nowMs: number): RememberClaims | null {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
  const payload = token.slice(0, dot);
  // Compared as text: base64url decoding ignores stray bits in the last
  // character, and one token should have exactly one spelling.
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(sign(secret, payload).toString('base64url'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof claims !== 'object' || claims === null) return null;
  const { u, d, e } = claims as { u?: unknown; d?: unknown; e?: unknown };
  if (typeof u !== 'string' || !Number.isSafeInteger(d) || typeof e !== 'number') return null;
  if (e <= nowMs) return null;
  return { username: u, deviceVersion: d as number, expiresAt: e };
}
