// Forwarding to a real upstream: exact paths, connection reuse, failures,
// and bodies streamed rather than held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startUpstream, streamedBody } from '../helpers/upstream.ts';
import { sharedGateway, startGateway, rawRequest, get } from './harness.ts';

const shared = sharedGateway();

/** A server that accepts connections and does `onConnection` with each; for failure shapes. */
async function startRawServer(onConnection: (socket: net.Socket) => void): Promise<{ url: URL; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test('the path is forwarded byte for byte', async () => {
  const paths = [
    '/a;b/c',
    '/admin;x/y',
    '/%25',
    '/%3B',
    '/x%3Bjsessionid=1',
    '/%C3%A9t%C3%A9',
    '/dir/',
    '/p?',
    '/p?a=1&b=%2F&c=%25&d=',
    '/q?next=http://evil//x&&',
    '/x/http:/y',
    '/x/https:/y?z=1',
    '/',
  ];
  for (const path of paths) {
    const res = await rawRequest(shared.gateway.port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    assert.equal(res.status, 200, path);
    assert.equal((await shared.upstream.nextRequest()).url, path);
  }
});

test('the given target path is what is sent, not the client request target', async () => {
  shared.gateway.pathFor = () => '/canonical/p%3B?raw=%2e%2e';
  try {
    await get(shared.gateway.port, '/Canonical/./x/../p%3B?raw=%2e%2e');
    assert.equal((await shared.upstream.nextRequest()).url, '/canonical/p%3B?raw=%2e%2e');
  } finally {
    shared.gateway.pathFor = (url) => url;
  }
});

test('upstream connections are reused across sequential requests', async () => {
  const before = shared.upstream.connections;
  const clientAgent = new http.Agent({ keepAlive: false });
  for (let i = 0; i < 20; i++) {
    const res = await get(shared.gateway.port, `/seq/${i}`, {}, clientAgent);
    assert.equal(res.status, 200);
    assert.equal((await shared.upstream.nextRequest()).url, `/seq/${i}`);
  }
  clientAgent.destroy();
  const used = shared.upstream.connections - before;
  assert.ok(used < 20, `the upstream saw ${used} connections for 20 requests`);
});

test('the response status, headers and body come back; hop-by-hop response headers do not', async () => {
  const app = await startRawServer((socket) => {
    socket.once('data', () => {
      socket.end(
        'HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n' +
          'Connection: close, X-Internal\r\nX-Internal: secret\r\nKeep-Alive: timeout=99\r\nContent-Length: 5\r\n\r\nhello',
      );
    });
  });
  const gw = await startGateway(app.url);
  try {
    const res = await rawRequest(gw.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.equal(res.status, 201);
    assert.equal(res.body, 'hello');
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(res.headers['x-internal'], undefined);
    assert.equal(res.headers['keep-alive'], undefined);
    assert.deepEqual(res.headers['connection'], ['close']);
  } finally {
    await gw.close();
    await app.close();
  }
});

test('502 when the upstream is not listening', async () => {
  const gone = await startUpstream();
  const url = gone.url;
  await gone.close();
  const gw = await startGateway(url);
  try {
    const res = await get(gw.port, '/x');
    assert.equal(res.status, 502);
    assert.deepEqual(JSON.parse(res.body), { error: 'bad_gateway' });
  } finally {
    await gw.close();
  }
});

test('502 when the upstream resets the connection before answering', async () => {
  const app = await startRawServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
  const gw = await startGateway(app.url);
  try {
    assert.equal((await get(gw.port, '/x')).status, 502);
  } finally {
    await gw.close();
    await app.close();
  }
});

test('504 when the upstream never answers', async () => {
  const silent = await startUpstream();
  silent.setMode('hang');
  const gw = await startGateway(silent.url, { timeoutMs: 200 });
  try {
    const res = await get(gw.port, '/slow');
    assert.equal(res.status, 504);
    assert.deepEqual(JSON.parse(res.body), { error: 'gateway_timeout' });
    assert.equal((await silent.nextRequest()).url, '/slow');
  } finally {
    await gw.close();
    await silent.close();
  }
});

test('an upstream dying mid-body breaks the client response instead of leaving it hanging', { timeout: 10_000 }, async () => {
  const app = await startRawServer((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setImmediate(() => socket.destroy());
    });
  });
  const gw = await startGateway(app.url);
  try {
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: gw.port, path: '/', agent: false }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.complete ? 'complete' : 'incomplete'));
        res.on('error', () => resolve('error'));
        res.on('aborted', () => resolve('aborted'));
      });
      req.on('error', () => resolve('error'));
    });
    assert.notEqual(outcome, 'complete');
  } finally {
    await gw.close();
    await app.close();
  }
});

test('a chunked DELETE body is forwarded framed, never as a second request', async () => {
  const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
  const chunk = Buffer.byteLength(smuggled).toString(16);
  const res = await rawRequest(
    shared.gateway.port,
    `DELETE /del HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk}\r\n${smuggled}\r\n0\r\n\r\n`,
  );
  assert.equal(res.status, 200);
  const r = await shared.upstream.nextRequest();
  assert.equal(r.url, '/del');
  assert.equal(r.bodyBytes, Buffer.byteLength(smuggled));
  await get(shared.gateway.port, '/after-delete');
  assert.equal((await shared.upstream.nextRequest()).url, '/after-delete', 'the upstream saw an extra request');
});

test('a chunked upload of unknown length is forwarded whole, chunked', async () => {
  const total = 8 * 1024 * 1024;
  const body = streamedBody(total, 0x62);
  const status = await new Promise<number>((resolve, reject) => {
    // No Content-Length: Node's client sends the body chunked.
    const req = http.request({ host: '127.0.0.1', port: shared.gateway.port, path: '/chunked', method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    body.pipe(req);
  });
  assert.equal(status, 200);
  const r = await shared.upstream.nextRequest();
  assert.equal(r.bodyBytes, total);
  assert.deepEqual(r.headers['transfer-encoding'], ['chunked']);
  assert.equal(r.headers['content-length'], undefined);
});

test('a 100 MB upload is streamed through the gateway, not held in its memory', async (t) => {
  // The gateway runs in a child process so only its own memory is measured.
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./gateway-process.ts', import.meta.url)), shared.upstream.url.href], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const reply = async (): Promise<Record<string, number>> => {
    const next = await replies.next();
    assert.equal(next.done, false, 'the gateway process ended early');
    return JSON.parse(next.value as string) as Record<string, number>;
  };
  try {
    const { port } = (await reply()) as { port: number };
    // Warm up (first request loads and compiles the forwarding code), then take the baseline.
    assert.equal((await get(port, '/warm-up')).status, 200);
    await shared.upstream.nextRequest();
    child.stdin.write('rss\n');
    const before = (await reply()).maxRssKb as number;

    const total = 100 * 1024 * 1024;
    const body = streamedBody(total);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/upload', method: 'PUT', agent: false, headers: { 'content-length': total } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      body.pipe(req);
    });
    assert.equal(status, 200);
    const r = await shared.upstream.nextRequest();
    assert.equal(r.url, '/upload');
    assert.equal(r.bodyBytes, total);

    child.stdin.write('rss\n');
    const after = (await reply()).maxRssKb as number;
    const grewMb = (after - before) / 1024;
    t.diagnostic(`gateway peak RSS growth: ${grewMb.toFixed(1)} MB`);
    // Streaming still costs a bounded working set (about 30-45 MB here, the
    // same for 100 MB as for 600 MB); holding the body would add 100 MB or more.
    assert.ok(grewMb < 64, `the gateway's peak RSS grew by ${grewMb.toFixed(1)} MB for a 100 MB body`);
  } finally {
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
});
