// Single-use backup codes: generation, the forgiving form users may type,
// and the keyed hash that is all the store ever holds.
import { createHmac, hkdfSync, randomInt } from 'node:crypto';

// Lower-case letters and digits without the look-alikes 0/o, 1/l/i.
const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
const GROUPS = 3;
const GROUP_LENGTH = 4;
/** Characters in a code, dashes not counted: 12 of 31 symbols is about 59 bits. */
export const BACKUP_CODE_LENGTH = GROUPS * GROUP_LENGTH;

function generateBackupCode(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let group = '';
    // randomInt draws without modulo bias.
    for (let i = 0; i < GROUP_LENGTH; i++) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/** `count` distinct codes like `k7m2-x9qp-4hz3`. */
export function generateBackupCodes(count: number): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(generateBackupCode());
  return [...codes];
}

/** The canonical form of a typed code: case, spaces and dashes do not matter. */
export function normalizeBackupCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]+/g, '');
}

// The hashing key is derived rather than the encryption key used directly,
// so one key never serves two algorithms.
const derivedKeys = new WeakMap<Buffer, Buffer>();

function hashingKey(encryptionKey: Buffer): Buffer {
  let key = derivedKeys.get(encryptionKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'otpgate backup code hash v1', 32));
    derivedKeys.set(encryptionKey, key);
  }
  return key;
}

/**
 * HMAC-SHA256 of the normalised code (hex). Without the key a stored hash
 * cannot be tested against guesses, so a copy of the store is no help.
 */
export function hashBackupCode(key: Buffer, code: string): string {
  return createHmac('sha256', hashingKey(key)).update(normalizeBackupCode(code), 'utf8').digest('hex');
}
