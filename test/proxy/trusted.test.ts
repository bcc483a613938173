import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTrustedProxies } from '../../src/proxy/trusted.ts';

test('IPv4 CIDRs and single addresses', () => {
  const trusted = compileTrustedProxies(['10.0.0.0/8', '192.168.1.7']);
  assert.equal(trusted('10.1.2.3'), true);
  assert.equal(trusted('192.168.1.7'), true);
  assert.equal(trusted('192.168.1.8'), false);
  assert.equal(trusted('11.0.0.1'), false);
});

test('IPv4-mapped IPv6 peers match IPv4 entries, and mapped entries match plain peers', () => {
  assert.equal(compileTrustedProxies(['10.0.0.0/8'])('::ffff:10.0.0.1'), true);
  assert.equal(compileTrustedProxies(['10.0.0.0/8'])('::ffff:11.0.0.1'), false);
  assert.equal(compileTrustedProxies(['::ffff:127.0.0.1'])('127.0.0.1'), true);
});

test('IPv6 CIDRs', () => {
  const trusted = compileTrustedProxies(['fd00::/8', '::1']);
  assert.equal(trusted('fd12:3456::1'), true);
  assert.equal(trusted('::1'), true);
  assert.equal(trusted('fe80::1'), false);
  assert.equal(trusted('10.0.0.1'), false);
});

test('an empty list trusts nobody; garbage addresses are never trusted', () => {
  assert.equal(compileTrustedProxies([])('127.0.0.1'), false);
  const trusted = compileTrustedProxies(['0.0.0.0/0']);
  assert.equal(trusted('1.2.3.4'), true);
  assert.equal(trusted('unknown'), false);
  assert.equal(trusted(''), false);
});

test('invalid entries fail loudly at start-up', () => {
  assert.throws(() => compileTrustedProxies(['10.0.0.0/33']), /prefix length/);
  assert.throws(() => compileTrustedProxies(['10.0.0/8']), /not an IP/);
  assert.throws(() => compileTrustedProxies(['example.com']), /not an IP/);
  assert.throws(() => compileTrustedProxies(['fd00::/129']), /prefix length/);
  assert.throws(() => compileTrustedProxies(['10.0.0.0/x']), /prefix length/);
});
