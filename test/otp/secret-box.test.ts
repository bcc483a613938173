import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSecret, sealSecret, SealedSecretError } from '../../src/otp/secret-box.ts';

const key = randomBytes(32);
const aad = 'totp:alice';
const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

// Replaces one character of `text` at `index` by another base64url character.
function flip(text: string, index: number): string {
  const c = text[index];
  return text.slice(0, index) + (c === 'A' ? 'B' : 'A') + text.slice(index + 1);
}

describe('secret box', () => {
  it('round-trips, in the versioned text format, with a fresh IV each time', () => {
    const a = sealSecret(key, secret, aad);
    const b = sealSecret(key, secret, aad);
    assert.match(a, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    assert.notEqual(a, b);
    assert.notEqual(a.split('.')[1], b.split('.')[1]);
    assert.equal(openSecret(key, a, aad), secret);
    assert.equal(openSecret(key, b, aad), secret);
    assert.ok(!a.includes(secret));
  });

  it('round-trips empty and non-ASCII text', () => {
    for (const text of ['', 'ünïcødé ✓', 'x'.repeat(1000)]) assert.equal(openSecret(key, sealSecret(key, text, aad), aad), text);
  });

  it('refuses a change to any character of any part', () => {
    const sealed = sealSecret(key, secret, aad);
    const parts = sealed.split('.');
    let offset = 0;
    for (const [p, part] of parts.entries()) {
      for (let i = 0; i < part.length; i++) {
        assert.throws(() => openSecret(key, flip(sealed, offset + i), aad), SealedSecretError, `part ${p}, char ${i}`);
      }
      offset += part.length + 1;
    }
  });

  it('refuses truncated, extended, reordered and malformed values', () => {
    const sealed = sealSecret(key, secret, aad);
    const [v, iv, tag, ct] = sealed.split('.') as [string, string, string, string];
    const bad = [
      '',
      'v1',
      sealed.slice(0, -1),
      `${sealed}A`,
      `${sealed}.`,
      `v2.${iv}.${tag}.${ct}`,
      `${v}.${tag}.${iv}.${ct}`,
      `${v}.${iv}.${tag.slice(0, 16)}.${ct}`,
      `${v}.${iv}.${tag}.`,
      `${v}.${iv}=.${tag}.${ct}`,
      `${v}.${iv}.${tag}.${ct.replace(/^./, '+')}`,
    ];
    for (const value of bad) assert.throws(() => openSecret(key, value, aad), SealedSecretError, JSON.stringify(value));
  });

  it('refuses another owner (associated data) and another key', () => {
    const sealed = sealSecret(key, secret, aad);
    assert.throws(() => openSecret(key, sealed, 'totp:mallory'), SealedSecretError);
    assert.throws(() => openSecret(key, sealed, 'enrol:alice'), SealedSecretError);
    assert.throws(() => openSecret(randomBytes(32), sealed, aad), SealedSecretError);
  });

  it('insists on a 32-byte key', () => {
    assert.throws(() => sealSecret(randomBytes(16), secret, aad), RangeError);
    assert.throws(() => openSecret(randomBytes(31), sealSecret(key, secret, aad), aad), RangeError);
  });
});
