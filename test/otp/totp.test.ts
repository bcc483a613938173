import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScureBase32Plugin } from 'otplib';
import type { TotpAlgorithm, TotpConfig } from '../../src/config/types.ts';
import { generateTotpCode, generateTotpSecret, matchTotpStep, totpStep, totpUri } from '../../src/otp/totp.ts';

const base32 = new ScureBase32Plugin();

// RFC 6238 Appendix B: ASCII seeds of 20, 32 and 64 bytes, 8 digits, 30 s steps.
const seeds: Record<TotpAlgorithm, string> = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
};
const vectors: Array<[number, Record<TotpAlgorithm, string>]> = [
  [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
  [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
  [1111111111, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
  [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
  [2000000000, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
  [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
];

const sixDigits: TotpConfig = { digits: 6, period: 30, algorithm: 'SHA1', window: 1 };

describe('RFC 6238 test vectors', () => {
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    const secret = base32.encode(Buffer.from(seeds[algorithm], 'ascii'));
    const totp: TotpConfig = { digits: 8, period: 30, algorithm, window: 0 };
    for (const [seconds, codes] of vectors) {
      it(`${algorithm} at T=${seconds}`, () => {
        assert.equal(generateTotpCode(secret, totp, seconds * 1000), codes[algorithm]);
        assert.equal(matchTotpStep(secret, codes[algorithm], totp, seconds * 1000), Math.floor(seconds / 30));
      });
    }
  }
});

describe('matchTotpStep', () => {
  const secret = generateTotpSecret();
  const now = 1_780_000_015_000; // the middle of a step
  const current = totpStep(now, 30);

  it('accepts codes up to ±window steps away and returns their absolute step', () => {
    for (const window of [0, 1, 2]) {
      const totp = { ...sixDigits, window };
      for (let offset = -window; offset <= window; offset++) {
        const code = generateTotpCode(secret, totp, now + offset * 30_000);
        assert.equal(matchTotpStep(secret, code, totp, now), current + offset, `window ${window}, offset ${offset}`);
      }
    }
  });

  it('refuses codes one step beyond the window on either side', () => {
    for (const window of [0, 1, 2]) {
      const totp = { ...sixDigits, window };
      for (const offset of [-window - 1, window + 1]) {
        const code = generateTotpCode(secret, totp, now + offset * 30_000);
        // A code of a step outside the window may collide with one inside (1 in 10^6).
        const inside = Array.from({ length: 2 * window + 1 }, (_, i) =>
          generateTotpCode(secret, totp, now + (i - window) * 30_000),
        );
        if (inside.includes(code)) continue;
        assert.equal(matchTotpStep(secret, code, totp, now), null, `window ${window}, offset ${offset}`);
      }
    }
  });

  it('uses the step boundaries of the period', () => {
    const totp = { ...sixDigits, window: 0, period: 60 };
    const start = 1_780_000_020_000; // divisible by 60 s
    const code = generateTotpCode(secret, totp, start);
    assert.equal(matchTotpStep(secret, code, totp, start + 59_999), start / 60_000);
    assert.notEqual(generateTotpCode(secret, totp, start + 60_000), code);
  });

  it('treats malformed input as no match', () => {
    const code = generateTotpCode(secret, sixDigits, now);
    for (const input of ['', `${code}0`, code.slice(1), ` ${code}`, `${code.slice(0, 5)}a`, '１２３４５６', '-12345', '1e5000', '123 45']) {
      assert.equal(matchTotpStep(secret, input, sixDigits, now), null, JSON.stringify(input));
    }
  });

  it('does not accept the code of another secret', () => {
    const other = generateTotpSecret();
    const code = generateTotpCode(other, sixDigits, now);
    const own = [-1, 0, 1].map((o) => generateTotpCode(secret, sixDigits, now + o * 30_000));
    if (!own.includes(code)) assert.equal(matchTotpStep(secret, code, sixDigits, now), null);
  });
});

describe('generateTotpSecret', () => {
  it('is 160 bits of base32 and different every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => generateTotpSecret()));
    assert.equal(secrets.size, 50);
    for (const secret of secrets) {
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.equal(base32.decode(secret).length, 20);
    }
  });
});

describe('totpUri', () => {
  it('names the issuer and every parameter, defaults included', () => {
    const uri = new URL(totpUri({ secret: 'JBSWY3DPEHPK3PXP', account: 'alice@example.com', issuer: 'Example Corp', totp: sixDigits }));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/Example Corp:alice@example.com');
    assert.equal(uri.searchParams.get('secret'), 'JBSWY3DPEHPK3PXP');
    assert.equal(uri.searchParams.get('issuer'), 'Example Corp');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
  });

  it('encodes characters that would change the meaning of the label or query', () => {
    const uri = totpUri({ secret: 'JBSWY3DPEHPK3PXP', account: 'a:b&c?d', issuer: 'X & Y: Z', totp: { ...sixDigits, digits: 8, algorithm: 'SHA256', period: 60 } });
    assert.ok(uri.startsWith('otpauth://totp/X%20%26%20Y%3A%20Z:a%3Ab%26c%3Fd?'), uri);
    const params = new URL(uri).searchParams;
    assert.equal(params.get('issuer'), 'X & Y: Z');
    assert.equal(params.get('algorithm'), 'SHA256');
    assert.equal(params.get('digits'), '8');
    assert.equal(params.get('period'), '60');
  });
});
