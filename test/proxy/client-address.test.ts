import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveClient } from '../../src/proxy/client-address.ts';
import { compileTrustedProxies } from '../../src/proxy/trusted.ts';

const trusted = compileTrustedProxies(['10.0.0.0/8']);

test('an untrusted peer: its X-Forwarded-For and -Proto are ignored and replaced', () => {
  const r = resolveClient('203.0.113.9', '1.2.3.4', 'https', trusted);
  assert.deepEqual(r, { ip: '203.0.113.9', forwardedFor: '203.0.113.9', proto: 'http' });
  assert.equal(resolveClient('203.0.113.9', undefined, undefined, trusted, true).proto, 'https');
});

test('a trusted peer: the peer is appended and the client is the right-most untrusted hop', () => {
  const r = resolveClient('10.0.0.2', '6.6.6.6, 203.0.113.9, 10.0.0.5', 'https', trusted);
  assert.equal(r.ip, '203.0.113.9');
  assert.equal(r.forwardedFor, '6.6.6.6, 203.0.113.9, 10.0.0.5, 10.0.0.2');
  assert.equal(r.proto, 'https');
});

test('a trusted peer without X-Forwarded-For is itself the client', () => {
  assert.deepEqual(resolveClient('10.0.0.2', undefined, undefined, trusted), {
    ip: '10.0.0.2',
    forwardedFor: '10.0.0.2',
    proto: 'http',
  });
});

test('IPv4-mapped peers are reported as plain IPv4', () => {
  const r = resolveClient('::ffff:10.0.0.2', '198.51.100.1', undefined, trusted);
  assert.equal(r.ip, '198.51.100.1');
  assert.equal(r.forwardedFor, '198.51.100.1, 10.0.0.2');
  assert.equal(resolveClient('::ffff:203.0.113.9', undefined, undefined, trusted).ip, '203.0.113.9');
});

test('ports and brackets on hops are understood; garbage stops the walk at the last readable hop', () => {
  assert.equal(resolveClient('10.0.0.2', '198.51.100.1:4711', undefined, trusted).ip, '198.51.100.1');
  assert.equal(resolveClient('10.0.0.2', '[2001:db8::1]:443', undefined, trusted).ip, '2001:db8::1');
  assert.equal(resolveClient('10.0.0.2', '2001:db8::1', undefined, trusted).ip, '2001:db8::1');
  assert.equal(resolveClient('10.0.0.2', '198.51.100.1, unknown, 10.0.0.9', undefined, trusted).ip, '10.0.0.9');
});

test('only http and https are believed from X-Forwarded-Proto, left-most value first', () => {
  assert.equal(resolveClient('10.0.0.2', undefined, 'HTTPS, http', trusted).proto, 'https');
  assert.equal(resolveClient('10.0.0.2', undefined, 'gopher', trusted).proto, 'http');
  assert.equal(resolveClient('10.0.0.2', undefined, 'gopher', trusted, true).proto, 'https');
});
