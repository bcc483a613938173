import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOptions } from '@node-rs/argon2';
import {
  burnPasswordCheck,
  DUMMY_HASH,
  hashPassword,
  isSupportedHash,
  verifyPassword,
} from '../../src/auth/passwords.ts';

// Made with Python's hashlib.scrypt (an independent implementation):
// password "correct horse", salt bytes 0..15, N=2^14, r=8, p=1, 32 bytes.
const SCRYPT_HASH = '$scrypt$ln=14,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$JbN2hANm9NOw4h5BRHZnbjzQ6Jr0QwNWojTOC2WgIbU';

describe('passwords', () => {
  test('a new hash is argon2id and verifies only its own password', async () => {
    const hash = await hashPassword('s3cret pass');
    assert.match(hash, /^\$argon2id\$v=19\$m=32768,t=2,p=1\$/);
    assert.equal(await verifyPassword(hash, 's3cret pass'), true);
    assert.equal(await verifyPassword(hash, 's3cret pas'), false);
    assert.equal(await verifyPassword(hash, ''), false);
    assert.equal(isSupportedHash(hash), true);
  });

  test('two hashes of one password differ (random salt)', async () => {
    assert.notEqual(await hashPassword('same'), await hashPassword('same'));
  });

  test('an scrypt PHC string verifies', async () => {
    assert.equal(isSupportedHash(SCRYPT_HASH), true);
    assert.equal(await verifyPassword(SCRYPT_HASH, 'correct horse'), true);
    assert.equal(await verifyPassword(SCRYPT_HASH, 'correct horse!'), false);
  });

  test('a hash tampered with does not verify', async () => {
    // Change a character well inside the hash part (the last one carries padding bits).
    const at = SCRYPT_HASH.length - 10;
    const flipped = SCRYPT_HASH.slice(0, at) + (SCRYPT_HASH[at] === 'A' ? 'B' : 'A') + SCRYPT_HASH.slice(at + 1);
    assert.equal(await verifyPassword(flipped, 'correct horse'), false);
  });

  test('unparsable or unsupported hashes are false, never an exception', async () => {
    const garbage = [
      '',
      'plaintext',
      '$argon2id$',
      '$argon2id$v=19$m=oops$abc$def',
      '$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
      '$scrypt$ln=14,r=8,p=1$$',
      '$scrypt$ln=99,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$JbN2hANm9NOw4h5BRHZnbjzQ6Jr0QwNWojTOC2WgIbU',
      '$scrypt$ln=30,r=64,p=1$AAECAwQFBgcICQoLDA0ODw$JbN2hANm9NOw4h5BRHZnbjzQ6Jr0QwNWojTOC2WgIbU',
      '$2b$12$abcdefghijklmnopqrstuv',
    ];
    for (const hash of garbage) {
      assert.equal(await verifyPassword(hash, 'anything'), false, hash);
      assert.equal(isSupportedHash(hash), false, hash);
    }
  });

  test('the dummy hash costs what a real one does and matches nothing likely', async () => {
    const dummy = parseOptions(DUMMY_HASH);
    const real = parseOptions(await hashPassword('x'));
    assert.deepEqual(
      { m: dummy.memoryCost, t: dummy.timeCost, p: dummy.parallelism, a: dummy.algorithm, len: dummy.outputLen },
      { m: real.memoryCost, t: real.timeCost, p: real.parallelism, a: real.algorithm, len: real.outputLen },
    );
    assert.equal(await verifyPassword(DUMMY_HASH, ''), false);
    assert.equal(await verifyPassword(DUMMY_HASH, 'password'), false);
  });

  test('burnPasswordCheck runs one real verification against the dummy hash', async () => {
    const calls: Array<[string, string]> = [];
    await burnPasswordCheck('guess', async (hash, password) => {
      calls.push([hash, password]);
      return verifyPassword(hash, password);
    });
    assert.deepEqual(calls, [[DUMMY_HASH, 'guess']]);
    // And with the default verifier it completes without throwing.
    await burnPasswordCheck('guess');
  });
});
