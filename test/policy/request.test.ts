import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMethod, isBrowserNavigation } from '../../src/policy/request.ts';

describe('checkMethod', () => {
  it('accepts upper-case tokens', () => {
    for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'M-SEARCH']) {
      assert.equal(checkMethod(m), 'ok', m);
    }
  });

  it('rejects methods that are not upper-case tokens with 400', () => {
    for (const m of ['get', 'Post', 'gEt', '', 'GE T', 'GET\r\n', 'GET/', 'GÉT', 'G(ET)']) {
      assert.equal(checkMethod(m), 'bad-request', JSON.stringify(m));
    }
  });

  it('refuses CONNECT and TRACE with 405', () => {
    assert.equal(checkMethod('CONNECT'), 'not-allowed');
    assert.equal(checkMethod('TRACE'), 'not-allowed');
    assert.equal(checkMethod('trace'), 'bad-request');
  });
});

describe('isBrowserNavigation', () => {
  const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

  it('is a GET or HEAD accepting text/html', () => {
    assert.equal(isBrowserNavigation('GET', BROWSER), true);
    assert.equal(isBrowserNavigation('HEAD', BROWSER), true);
    assert.equal(isBrowserNavigation('GET', 'TEXT/HTML; charset=utf-8'), true);
    assert.equal(isBrowserNavigation('GET', 'application/json, text/html;q=0.5'), true);
  });

  it('is not another method, a missing Accept, or one that does not take HTML', () => {
    assert.equal(isBrowserNavigation('POST', BROWSER), false);
    assert.equal(isBrowserNavigation('GET', undefined), false);
    assert.equal(isBrowserNavigation('GET', ''), false);
    assert.equal(isBrowserNavigation('GET', '*/*'), false);
    assert.equal(isBrowserNavigation('GET', 'application/json'), false);
    assert.equal(isBrowserNavigation('GET', 'text/html-fragment'), false);
    assert.equal(isBrowserNavigation('GET', 'text/html;q=0, application/json'), false);
  });
});
