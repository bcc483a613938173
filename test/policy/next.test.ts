import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { safeNext } from '../../src/policy/next.ts';

describe('safeNext', () => {
  const OPEN_REDIRECTS: unknown[] = [
    '//evil',
    '//evil.com/path',
    '/\\evil',
    '\\/\\/evil',
    '\\\\evil',
    'https://evil',
    'HTTP://evil/',
    'http:/evil',
    '%2F%2Fevil',
    '/%2F%2Fevil',
    '/%2f/evil',
    '/%5Cevil',
    '/%5cevil',
    'javascript:alert(1)',
    '/\t/evil',
    '/\n/evil',
    '/\r\n/evil',
    ' //evil',
    '/ /evil',
    '/x\\..\\..\\evil',
    '/..//evil',
    '/%2e%2e//evil',
    '/\u3000/evil',
    '',
    'evil',
    '?next=/',
    undefined,
    null,
    42,
    ['/admin/'],
    '/' + 'a'.repeat(5000),
  ];

  for (const raw of OPEN_REDIRECTS) {
    it(`refuses ${JSON.stringify(raw)?.slice(0, 40) ?? String(raw)}`, () => {
      assert.equal(safeNext(raw), '/');
      assert.equal(safeNext(raw, '/home'), '/home');
    });
  }

  it('keeps local paths with their query, in canonical form', () => {
    assert.equal(safeNext('/'), '/');
    assert.equal(safeNext('/admin/'), '/admin/');
    assert.equal(safeNext('/admin/users/?page=2&q=a%20b'), '/admin/users/?page=2&q=a%20b');
    assert.equal(safeNext('/%61dmin/./x/../y?z=//evil'), '/admin/y?z=//evil');
    assert.equal(safeNext('/.//evil'), '/evil');
    assert.equal(safeNext('/http://evil'), '/http:/evil');
  });

  it('only ever returns a path starting with exactly one "/"', () => {
    const chars = fc.constantFrom('/', '\\', '.', ':', '%', '2', 'F', 'f', '5', 'c', 'e', 'v', '\t', ' ', '?', '#', '@');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 12 }), (parts) => {
        const result = safeNext(parts.join(''), '/fallback');
        assert.ok(result.startsWith('/'), result);
        assert.ok(!/^\/[/\\]/.test(result), result);
        assert.ok(!/[\\\s]/.test(result), result);
      }),
      { numRuns: 2000 },
    );
  });
});
