// Authenticated encryption for secrets kept in the store (TOTP seeds).
//
// AES-256-GCM with a fresh random 96-bit IV per seal. The associated data
// names the owner and purpose of a secret, so a sealed value copied to
// another user's key (or to another purpose) fails to open. The text format
// is versioned so the scheme can change without guessing what old values are:
//
//   v1.<iv>.<tag>.<ciphertext>      (each part base64url, no padding)
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A sealed value that is malformed, tampered with, or sealed under another key or owner. */
export class SealedSecretError extends Error {
  override readonly name = 'SealedSecretError';
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`encryption key must be ${KEY_BYTES} bytes`);
}

export function sealSecret(key: Buffer, plaintext: string, aad: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, tag, ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

// Node's base64url decoder skips characters it does not know and ignores
// leftover bits, so several texts decode to the same bytes. Re-encoding and
// comparing makes the text itself canonical: any edit is an error.
function strictBase64url(part: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) throw new SealedSecretError('sealed secret is malformed');
  return bytes;
}

export function openSecret(key: Buffer, sealed: string, aad: string): string {
  checkKey(key);
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SealedSecretError('sealed secret has an unknown format');
  const iv = strictBase64url(parts[1] ?? '');
  const tag = strictBase64url(parts[2] ?? '');
  const ciphertext = strictBase64url(parts[3] ?? '');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SealedSecretError('sealed secret is malformed');
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new SealedSecretError('sealed secret failed authentication', { cause: err });
  }
}
