// Password hashing and verification. New hashes are argon2id; verification
// also accepts scrypt PHC strings so hashes made by other tools can be used.
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Cost of new argon2id hashes: 32 MiB, 2 passes, 1 lane.
 *
 * OWASP's minimum for argon2id is m=19 MiB, t=2, p=1; we double the memory,
 * which is what makes GPU/ASIC guessing expensive. One verification takes
 * roughly 15-25 ms on a 2-core machine, so a login (one verification) stays
 * well under 100 ms even with a couple of logins running at once. One lane:
 * more lanes only help with idle cores, and a gateway has requests to serve.
 * Memory is bounded too: verifications run on libuv's pool (4 threads by
 * default), so at most ~128 MiB is in use during a login burst.
 */
const ARGON2ID_OPTIONS = {
  algorithm: 2, // Algorithm.Argon2id (a const enum, which isolated modules cannot reference)
  memoryCost: 32768,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * An argon2id hash made with ARGON2ID_OPTIONS of a random password nobody
 * knows. Unknown and disabled users are verified against it so that they
 * cost the same time as a wrong password (no user enumeration by timing).
 * A test checks that its parameters match ARGON2ID_OPTIONS.
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=32768,t=2,p=1$tjvRl8FXwdkRX0gTjJI/wQ$JXOa2p1lUA309FxAbr7f93zSOkn6pw+vb5/4ZDHp6Yk';

export type PasswordVerifier = (hash: string, password: string) => Promise<boolean>;

/** A fresh argon2id PHC string (`$argon2id$v=19$m=32768,t=2,p=1$...`). */
export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2ID_OPTIONS);
}

/**
 * True when `password` matches `hash` (argon2id or scrypt PHC string).
 * Never throws: a hash that cannot be parsed is simply not a match.
 */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    if (hash.startsWith('$argon2id$')) return await argon2Verify(hash, password);
    if (hash.startsWith('$scrypt$')) return await verifyScrypt(hash, password);
    return false;
  } catch {
    return false;
  }
}

/** Spends the time of one verification, for a user who does not exist or is disabled. */
export async function burnPasswordCheck(
  password: string,
  verify: PasswordVerifier = verifyPassword,
): Promise<void> {
  await verify(DUMMY_HASH, password);
}

/** True for strings this module can verify (used to validate the users file). */
export function isSupportedHash(hash: string): boolean {
  if (hash.startsWith('$argon2id$')) return /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(hash);
  return parseScrypt(hash) !== null;
}

// scrypt in the PHC format used by passlib and others:
//   $scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt b64>$<hash b64>
interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  expected: Buffer;
}

// Refuse parameters that would need more memory than this, so that a hostile
// or mistyped hash cannot exhaust the gateway's memory.
const SCRYPT_MAX_MEMORY = 512 * 1024 * 1024;

const SCRYPT_PATTERN = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/.]+={0,2})\$([A-Za-z0-9+/.]+={0,2})$/;

function parseScrypt(phc: string): ScryptHash | null {
  const m = SCRYPT_PATTERN.exec(phc);
  if (!m) return null;
  const ln = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  if (ln < 1 || ln > 30 || r < 1 || p < 1) return null;
  const N = 2 ** ln;
  if (128 * N * r > SCRYPT_MAX_MEMORY) return null;
  // Some tools write '.' for '+' (passlib's "adapted" base64); accept both.
  const salt = Buffer.from((m[4] ?? '').replaceAll('.', '+'), 'base64');
  const expected = Buffer.from((m[5] ?? '').replaceAll('.', '+'), 'base64');
  if (salt.length === 0 || expected.length < 16) return null;
  return { N, r, p, salt, expected };
}

function verifyScrypt(phc: string, password: string): Promise<boolean> {
  const parsed = parseScrypt(phc);
  if (!parsed) return Promise.resolve(false);
  const { N, r, p, salt, expected } = parsed;
  return new Promise((resolve) => {
    scrypt(password, salt, expected.length, { N, r, p, maxmem: 128 * N * r + 1024 * 1024 }, (err, derived) => {
      resolve(!err && timingSafeEqual(derived, expected));
    });
  });
}
