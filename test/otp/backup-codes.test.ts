import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BACKUP_CODE_LENGTH, generateBackupCodes, hashBackupCode, normalizeBackupCode } from '../../src/otp/backup-codes.ts';

describe('generateBackupCodes', () => {
  it('makes the requested number of distinct, readable codes', () => {
    const codes = generateBackupCodes(10);
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}$/);
    assert.deepEqual(generateBackupCodes(0), []);
  });

  it('never uses look-alike characters and uses the whole alphabet', () => {
    const seen = new Set(generateBackupCodes(500).join('').replace(/-/g, ''));
    for (const c of '01ilo') assert.ok(!seen.has(c), c);
    assert.equal(seen.size, 31);
  });

  it('is normalised to BACKUP_CODE_LENGTH characters', () => {
    for (const code of generateBackupCodes(5)) assert.equal(normalizeBackupCode(code).length, BACKUP_CODE_LENGTH);
  });
});

describe('normalizeBackupCode', () => {
  it('forgives case, spaces and dashes', () => {
    for (const typed of ['k7m2-x9qp-4hz3', 'K7M2-X9QP-4HZ3', 'k7m2x9qp4hz3', ' k7m2 x9qp 4hz3 ', 'k7m2--x9qp\t4hz3', 'K7m2 - X9qp - 4Hz3']) {
      assert.equal(normalizeBackupCode(typed), 'k7m2x9qp4hz3', JSON.stringify(typed));
    }
  });

  it('keeps every other character', () => {
    assert.equal(normalizeBackupCode('k7m2_x9qp.4hz3'), 'k7m2_x9qp.4hz3');
  });
});

describe('hashBackupCode', () => {
  const key = randomBytes(32);

  it('hashes the normalised code, so typed variants hash alike', () => {
    const hash = hashBackupCode(key, 'k7m2-x9qp-4hz3');
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(hashBackupCode(key, 'K7M2 X9QP 4HZ3'), hash);
    assert.notEqual(hashBackupCode(key, 'k7m2-x9qp-4hz4'), hash);
  });

  it('depends on the key and does not contain the code', () => {
    const hash = hashBackupCode(key, 'k7m2-x9qp-4hz3');
    assert.notEqual(hashBackupCode(randomBytes(32), 'k7m2-x9qp-4hz3'), hash);
    assert.ok(!hash.includes('k7m2'));
  });
});
