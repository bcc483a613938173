// WebSocket upgrades through the gateway, with a raw-socket client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream, wsHandshake, encodeClientFrame, readServerFrame } from '../helpers/upstream.ts';
import { sharedGateway, startGateway } from './harness.ts';

const shared = sharedGateway();

test('an upgrade is forwarded with the gateway headers and a frame is echoed', async () => {
  shared.gateway.identity = { username: 'alice', email: null, groups: ['staff'], verified: true, device: 'remembered' };
  try {
    const hs = await wsHandshake(shared.gateway.port, '/socket/%3B?room=a%2Fb', [
      'X-User-Verified: true',
      'X_Forwarded_User: mallory',
      'X-Forwarded-For: 6.6.6.6',
      'Cookie: otpgate_session=s3cret; theme=dark',
    ]);
    assert.equal(hs.status, 101, hs.head);
    assert.ok(hs.acceptOk, 'Sec-WebSocket-Accept matches');

    const recorded = await shared.upstream.nextRequest();
    assert.equal(recorded.upgrade, true);
    assert.equal(recorded.url, '/socket/%3B?room=a%2Fb');
    assert.deepEqual(recorded.headers['x-user-verified'], ['true']);
    assert.deepEqual(recorded.headers['x-forwarded-user'], ['alice']);
    assert.deepEqual(recorded.headers['x-forwarded-groups'], ['staff']);
    assert.deepEqual(recorded.headers['x-user-device'], ['remembered']);
    assert.equal(recorded.headers['x_forwarded_user'], undefined);
    assert.deepEqual(recorded.headers['x-forwarded-for'], ['127.0.0.1']);
    assert.deepEqual(recorded.headers['cookie'], ['theme=dark']);
    assert.deepEqual(recorded.headers['upgrade'], ['websocket']);
    assert.deepEqual(recorded.headers['connection'], ['upgrade']);

    hs.socket.write(encodeClientFrame('hello through the gateway'));
    assert.equal(await readServerFrame(hs.socket, hs.rest), 'hello through the gateway');
    hs.socket.destroy();
  } finally {
    shared.gateway.identity = null;
  }
});

test('an upgrade to an upstream that is down gets a 502 status line', async () => {
  const gone = await startUpstream();
  const url = gone.url;
  await gone.close();
  const gw = await startGateway(url);
  try {
    const hs = await wsHandshake(gw.port, '/socket');
    assert.equal(hs.status, 502);
    hs.socket.destroy();
  } finally {
    await gw.close();
  }
});

test('an upgrade the upstream never answers gets a 504 status line', async () => {
  const silent = await startUpstream();
  silent.setMode('hang');
  const gw = await startGateway(silent.url, { timeoutMs: 200 });
  try {
    const hs = await wsHandshake(gw.port, '/socket');
    assert.equal(hs.status, 504);
    hs.socket.destroy();
  } finally {
    await gw.close();
    await silent.close();
  }
});
