import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../../src/config/duration.ts';

test('parses each unit into milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('12h'), 43_200_000);
  assert.equal(parseDuration('30d'), 2_592_000_000);
  assert.equal(parseDuration('0s'), 0);
});

test('accepts a bare 0', () => {
  assert.equal(parseDuration('0'), 0);
});

test('rejects anything else, saying what is accepted', () => {
  for (const text of ['', '30', '5', '1.5h', '1h30m', '-5m', '30 m', ' 30m', '30M', '2w', 'ms', 'm30', '0x10s', '30mins']) {
    assert.throws(
      () => parseDuration(text),
      (err: Error) => err.message.includes(JSON.stringify(text)) && /500ms, 90s, 30m, 12h or 30d/.test(err.message),
      text,
    );
  }
});

test('rejects durations too long to represent exactly', () => {
  assert.throws(() => parseDuration('999999999999999d'), /too long/);
});
