import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newNonce, securityHeaders } from '../../src/pages/security-headers.ts';

test('a nonce is 128 random bits in base64, different each time', () => {
  const nonces = new Set(Array.from({ length: 100 }, newNonce));
  assert.equal(nonces.size, 100);
  for (const n of nonces) assert.equal(Buffer.from(n, 'base64').length, 16);
});

test('the CSP allows only the nonce, same-origin images and form posts', () => {
  const csp = securityHeaders('abc123')['Content-Security-Policy'] ?? '';
  const directives = new Map(csp.split(';').map((d) => {
    const [name, ...values] = d.trim().split(/\s+/);
    return [name, values.join(' ')];
  }));
  assert.deepEqual(Object.fromEntries(directives), {
    'default-src': "'none'",
    'style-src': "'nonce-abc123'",
    'script-src': "'nonce-abc123'",
    'img-src': "'self' data:",
    'form-action': "'self'",
    'frame-ancestors': "'none'",
    'base-uri': "'none'",
  });
  assert.doesNotMatch(csp, /unsafe/);
});

test('the other headers forbid framing, sniffing, caching, referrer leaks and powerful features', () => {
  const h = securityHeaders(newNonce());
  assert.equal(h['X-Frame-Options'], 'DENY');
  assert.equal(h['X-Content-Type-Options'], 'nosniff');
  assert.equal(h['Referrer-Policy'], 'same-origin');
  assert.equal(h['Cache-Control'], 'no-store');
  assert.equal(h['Cross-Origin-Opener-Policy'], 'same-origin');
  for (const feature of ['camera', 'microphone', 'geolocation', 'payment', 'usb']) {
    assert.match(h['Permissions-Policy'] ?? '', new RegExp(`\\b${feature}=\\(\\)`));
  }
});
