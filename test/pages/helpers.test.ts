import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localPathOr, pagePaths, sanitizeAccent, textColourOn, withNext } from '../../src/pages/views/context.ts';
import { groupSecret } from '../../src/pages/views/setup.ts';
import { describeUserAgent } from '../../src/pages/views/user-agent.ts';

test('only #rgb and #rrggbb accent colours are used', () => {
  assert.equal(sanitizeAccent('#ABC'), '#abc');
  assert.equal(sanitizeAccent('#12ab9f'), '#12ab9f');
  for (const bad of ['red', '#12345', '#1234567', '#abc}body{display:none', '</style><script>', 'url(x)', '']) {
    assert.equal(sanitizeAccent(bad), '#2563eb', bad);
  }
});

test('button text is white on dark accents and black on light ones', () => {
  assert.equal(textColourOn('#2563eb'), '#ffffff');
  assert.equal(textColourOn('#000'), '#ffffff');
  assert.equal(textColourOn('#ffeb3b'), '#000000');
  assert.equal(textColourOn('#fff'), '#000000');
});

test('links built from next stay on this site', () => {
  assert.equal(localPathOr('/admin/?a=1', '/'), '/admin/?a=1');
  for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '/\t/evil.example', '']) {
    assert.equal(localPathOr(bad, '/fallback'), '/fallback', JSON.stringify(bad));
  }
});

test('gateway URLs carry next as an encoded query parameter', () => {
  const paths = pagePaths('/_otpgate');
  assert.equal(paths.verify, '/_otpgate/verify');
  assert.equal(withNext(paths.verify, '/'), '/_otpgate/verify');
  assert.equal(withNext(paths.verify, '/a b?c=d&e', { backup: '1' }), '/_otpgate/verify?backup=1&next=%2Fa+b%3Fc%3Dd%26e');
});

test('the setup key is shown in groups of four', () => {
  assert.equal(groupSecret('JBSWY3DPEHPK3PXP'), 'JBSW Y3DP EHPK 3PXP');
  assert.equal(groupSecret('ABCDEF'), 'ABCD EF');
});

test('sessions name their browser and system', () => {
  assert.equal(
    describeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'),
    'Edge on Windows',
  );
  assert.equal(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'), 'Firefox on Linux');
  assert.equal(
    describeUserAgent('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'),
    'Chrome on Android',
  );
  assert.equal(describeUserAgent(''), 'Unknown device');
});
