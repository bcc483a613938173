// Methods and message framing at the gateway's front door, over raw sockets:
// methods that are not upper-case tokens are 400, TRACE and CONNECT 405, and
// every request whose body length two parsers could read differently is
// refused (400 or a closed connection) before a byte reaches the upstream.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawExchange, rawRequest, forwardedSince, portOf } from './fixtures/raw-http.ts';

const SMUGGLING: Array<[name: string, head: string, body: string]> = [
  ['Content-Length with Transfer-Encoding', 'Content-Length: 4\r\nTransfer-Encoding: chunked', '0\r\n\r\n'],
  ['Transfer-Encoding with Content-Length', 'Transfer-Encoding: chunked\r\nContent-Length: 4', '0\r\n\r\n'],
  ['two different Content-Lengths', 'Content-Length: 4\r\nContent-Length: 5', 'abcde'],
  ['two equal Content-Lengths', 'Content-Length: 4\r\nContent-Length: 4', 'abcd'],
  ['a Content-Length list', 'Content-Length: 4, 4', 'abcd'],
  ['a signed Content-Length', 'Content-Length: +4', 'abcd'],
  ['a non-numeric Content-Length', 'Content-Length: 4x', 'abcd'],
  ['Transfer-Encoding: chunked, identity', 'Transfer-Encoding: chunked, identity', '0\r\n\r\n'],
  ['Transfer-Encoding: identity', 'Transfer-Encoding: identity', 'abcd'],
  ['Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: gzip, chunked', '0\r\n\r\n'],
  ['Transfer-Encoding: xchunked', 'Transfer-Encoding: xchunked', '0\r\n\r\n'],
  ['two Transfer-Encoding headers', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked', '0\r\n\r\n'],
  ['an empty Transfer-Encoding before chunked', 'Transfer-Encoding:\r\nTransfer-Encoding: chunked', '0\r\n\r\n'],
  ['a space before the colon', 'Transfer-Encoding : chunked', '0\r\n\r\n'],
  ['an obs-fold Transfer-Encoding', 'Transfer-Encoding: \r\n chunked', '0\r\n\r\n'],
  ['Content-Length with an obs-fold Transfer-Encoding', 'Content-Length: 4\r\nTransfer-Encoding: \r\n chunked', '0\r\n\r\n'],
];

describe('gateway core: methods and framing', { timeout: 30_000 }, () => {
  let gw: TestGateway;
  let port: number;
  before(async () => {
    gw = await startTestGateway();
    port = portOf(gw.url);
  });
  after(() => gw.close());

  it('answers 400 to a method that is not an upper-case token', async () => {
    const before = gw.upstream.requests.length;
    for (const method of ['get', 'Get', 'Post', 'pOST', 'delete']) {
      for (const target of ['/public', '/admin/']) {
        const res = await rawRequest(port, target, [], { method });
        assert.equal(res.status, 400, `${method} ${target}`);
      }
    }
    assert.deepEqual(await forwardedSince(gw, before), []);
  });

  it('answers 405 to TRACE and CONNECT', async () => {
    const before = gw.upstream.requests.length;
    for (const target of ['/public', '/admin/']) {
      const res = await rawRequest(port, target, ['Max-Forwards: 0'], { method: 'TRACE' });
      assert.equal(res.status, 405, `TRACE ${target}`);
    }
    for (const [target, host] of [
      ['/public', `127.0.0.1:${port}`],
      [`127.0.0.1:${gw.upstream.port}`, `127.0.0.1:${gw.upstream.port}`],
      ['internal.example:443', 'internal.example:443'],
    ] as const) {
      const res = await rawExchange(port, `CONNECT ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      assert.equal(res.status, 405, `CONNECT ${target}`);
    }
    assert.deepEqual(await forwardedSince(gw, before), []);
    // The upstream saw no connection but the marker's: CONNECT opened no tunnel.
    assert.equal(gw.upstream.requests.filter((r) => r.method === 'CONNECT').length, 0);
  });

  for (const [name, head, body] of SMUGGLING) {
    it(`refuses ${name} and forwards nothing`, async () => {
      const before = gw.upstream.requests.length;
      for (const target of ['/public', '/admin/']) {
        const res = await rawExchange(port, `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}\r\nConnection: close\r\n\r\n${body}`);
        assert.ok(res.status === 400 || res.status === 0, `${target}: ${res.status}`);
      }
      assert.deepEqual(await forwardedSince(gw, before), []);
    });
  }

  it('does not let a smuggled second request reach a protected path', async () => {
    const hidden = 'GET /admin/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User-Verified: true\r\n\r\n';
    const before = gw.upstream.requests.length;
    // CL.TE: a front end reading Content-Length would see one request; a back end reading chunked, two.
    const clte = `0\r\n\r\n${hidden}`;
    const a = await rawExchange(
      port,
      `POST /public HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${clte.length}\r\nTransfer-Encoding: chunked\r\n\r\n${clte}`,
    );
    assert.ok(a.status === 400 || a.status === 0);
    // TE.CL: the other way round.
    const tecl = `${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`;
    const b = await rawExchange(
      port,
      `POST /public HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n${tecl}`,
    );
    assert.ok(b.status === 400 || b.status === 0);
    // A bare-LF request hiding a second one.
    const c = await rawExchange(port, `POST /public HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 0\n\n${hidden}`);
    assert.ok(c.status === 400 || c.status === 0);
    assert.deepEqual(await forwardedSince(gw, before), []);
  });

  it('forwards well-framed bodies whole, with the framing the upstream can read', async () => {
    const before = gw.upstream.requests.length;
    const sized = await rawRequest(port, '/public', ['Content-Type: text/plain'], { method: 'POST', body: 'hello world' });
    assert.equal(sized.status, 200);
    const chunked = await rawExchange(
      port,
      'PUT /public/c HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    );
    assert.equal(chunked.status, 200);
    // An alias of Transfer-Encoding is not Transfer-Encoding: Content-Length frames it, and the alias is dropped.
    const alias = await rawExchange(
      port,
      'POST /public/a HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer_Encoding: chunked\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd',
    );
    assert.equal(alias.status, 200);
    const received = gw.upstream.requests.slice(before);
    assert.deepEqual(
      received.map((r) => [r.method, r.url, r.bodyBytes]),
      [
        ['POST', '/public', 11],
        ['PUT', '/public/c', 11],
        ['POST', '/public/a', 4],
      ],
    );
    // However the gateway frames a body upstream, it frames it one way only.
    for (const r of received) {
      const framings = [r.headers['content-length'], r.headers['transfer-encoding']].filter((v) => v !== undefined);
      assert.equal(framings.length, 1, `${r.url}: ${JSON.stringify(framings)}`);
      assert.equal(framings[0]!.length, 1, r.url);
    }
    assert.deepEqual(received[0]!.headers['content-length'], ['11']);
    assert.equal(received[2]!.headers.transfer_encoding, undefined);
  });
});
