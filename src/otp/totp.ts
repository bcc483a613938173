// TOTP (RFC 6238) on top of otplib: secrets, otpauth:// URIs, and matching a
// submitted code to the time step it belongs to. Pure: the caller passes the
// clock, and replay protection (a step used once) lives with the stored
// device, not here.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { generateSecret, generateSync, ScureBase32Plugin } from 'otplib';
import type { CryptoPlugin } from 'otplib';
import type { TotpConfig } from '../config/types.ts';

type HashName = 'sha1' | 'sha256' | 'sha512';

function hashName(algorithm: string): HashName {
  // otplib spells algorithms in lower case; it asks plugins to accept 'SHA-1' etc. too.
  const name = algorithm.toLowerCase().replace(/[-_]/g, '');
  if (name === 'sha1' || name === 'sha256' || name === 'sha512') return name;
  throw new RangeError(`unsupported TOTP algorithm ${algorithm}`);
}

function toBuffer(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

// HMAC and randomness from Node's own crypto (OpenSSL) rather than the
// default pure-JavaScript plugin.
const nodeCrypto: CryptoPlugin = {
  name: 'node',
  hmac: (algorithm, key, data) => new Uint8Array(createHmac(hashName(algorithm), key).update(data).digest()),
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
  constantTimeEqual: (a, b) => {
    const x = toBuffer(a);
    const y = toBuffer(b);
    return x.length === y.length && timingSafeEqual(x, y);
  },
};

const base32 = new ScureBase32Plugin();

/** 160 random bits (RFC 4226's recommended size), base32 without padding. */
export function generateTotpSecret(): string {
  return generateSecret({ length: 20, crypto: nodeCrypto, base32 });
}

/**
 * The otpauth:// URI an authenticator app scans. Every parameter is spelled
 * out, defaults included: some apps assume their own defaults otherwise.
 */
export function totpUri(opts: { secret: string; account: string; issuer: string; totp: TotpConfig }): string {
  const { secret, account, issuer, totp } = opts;
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = [
    `secret=${encodeURIComponent(secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    `algorithm=${totp.algorithm}`,
    `digits=${totp.digits}`,
    `period=${totp.period}`,
  ];
  return `otpauth://totp/${label}?${params.join('&')}`;
}

function codeForStep(key: Uint8Array, step: number, totp: TotpConfig): string {
  return generateSync({
    strategy: 'totp',
    secret: key,
    crypto: nodeCrypto,
    algorithm: hashName(totp.algorithm),
    digits: totp.digits,
    period: totp.period,
    epoch: step * totp.period,
  });
}

/** The time step (RFC 6238 "T") a moment falls in. */
export function totpStep(nowMs: number, period: number): number {
  return Math.floor(Math.floor(nowMs / 1000) / period);
}

/** The code an authenticator shows at `nowMs` (tests and the demo). */
export function generateTotpCode(secret: string, totp: TotpConfig, nowMs: number): string {
  return codeForStep(base32.decode(secret), totpStep(nowMs, totp.period), totp);
}

/**
 * The absolute time step within ±window of now whose code equals `code`, or
 * null. Every step in the window is computed and compared in constant time,
 * without stopping at the first match, so the timing does not tell which
 * step (if any) matched. Should a code match two steps, the later one is
 * returned: recording it as used retires both.
 */
export function matchTotpStep(secret: string, code: string, totp: TotpConfig, nowMs: number): number | null {
  if (code.length !== totp.digits || !/^[0-9]+$/.test(code)) return null;
  const key = base32.decode(secret);
  const submitted = Buffer.from(code, 'ascii');
  const current = totpStep(nowMs, totp.period);
  let matched: number | null = null;
  for (let step = Math.max(0, current - totp.window); step <= current + totp.window; step++) {
    const expected = Buffer.from(codeForStep(key, step, totp), 'ascii');
    if (timingSafeEqual(expected, submitted)) matched = step;
  }
  return matched;
}
