// Request-smuggling shapes: refused with 400 and never forwarded. Two layers:
// Node's own parser, and checkFraming for what the parser lets through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { checkFraming } from '../../src/proxy/framing.ts';
import { sharedGateway, rawRequest, get } from './harness.ts';

const shared = sharedGateway();

const head = (lines: string[]): string => ['POST /smuggle HTTP/1.1', 'Host: a', ...lines, '', ''].join('\r\n');

/** Sends a marker request and checks it is the next thing the upstream saw: nothing came before it. */
async function assertNothingForwarded(marker: string): Promise<void> {
  assert.equal((await get(shared.gateway.port, marker)).status, 200);
  assert.equal((await shared.upstream.nextRequest()).url, marker);
}

test("Node's parser refuses these by itself, before any handler runs", async () => {
  const shapes: Record<string, string> = {
    'Content-Length with Transfer-Encoding': head(['Content-Length: 5', 'Transfer-Encoding: chunked']) + '0\r\n\r\n',
    'two equal Content-Length': head(['Content-Length: 5', 'Content-Length: 5']) + 'hello',
    'two different Content-Length': head(['Content-Length: 5', 'Content-Length: 6']) + 'hello!',
    'a Content-Length list': head(['Content-Length: 5, 5']) + 'hello',
    'a signed Content-Length': head(['Content-Length: +5']) + 'hello',
    'chunked not last': head(['Transfer-Encoding: chunked, gzip']) + '0\r\n\r\n',
    'two chunked headers': head(['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked']) + '0\r\n\r\n',
    'space before the colon': head(['Transfer-Encoding : chunked']) + '0\r\n\r\n',
    'obsolete line folding': head(['Transfer-Encoding: chunked', ' gzip']) + '0\r\n\r\n',
    'bare LF line endings': 'POST /smuggle HTTP/1.1\nHost: a\nContent-Length: 5\n\nhello',
  };
  for (const [name, raw] of Object.entries(shapes)) {
    const res = await rawRequest(shared.gateway.port, raw);
    assert.equal(res.status, 400, name);
    assert.equal(res.body, '', `${name}: answered by the parser, not by checkFraming`);
  }
  await assertNothingForwarded('/after-parser-refusals');
});

test('checkFraming refuses the Transfer-Encodings the parser hands over', async () => {
  const shapes: Record<string, string> = {
    'gzip, chunked': head(['Transfer-Encoding: gzip, chunked']) + '0\r\n\r\n',
    identity: head(['Transfer-Encoding: identity']) + 'abc',
    gzip: head(['Transfer-Encoding: gzip']) + 'abc',
    xchunked: head(['Transfer-Encoding: xchunked']) + '0\r\n\r\n',
    'an empty copy then chunked': head(['Transfer-Encoding:', 'Transfer-Encoding: chunked']) + '0\r\n\r\n',
  };
  for (const [name, raw] of Object.entries(shapes)) {
    const res = await rawRequest(shared.gateway.port, raw);
    assert.equal(res.status, 400, name);
    assert.match(res.body, /Transfer-Encoding/, name);
  }
  await assertNothingForwarded('/after-framing-refusals');
});

test('plain chunked (any case) and plain Content-Length bodies are forwarded whole', async () => {
  const chunked = await rawRequest(shared.gateway.port, head(['Transfer-Encoding: Chunked', 'Connection: close']) + '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
  assert.equal(chunked.status, 200);
  const a = await shared.upstream.nextRequest();
  assert.equal(a.bodyBytes, 11);
  // Re-framed by the gateway: chunked, or (when the whole body had already
  // arrived) its exact length; never both, never the client's spelling.
  const framing = [...(a.headers['transfer-encoding'] ?? []), ...(a.headers['content-length'] ?? [])];
  assert.ok(framing.length === 1 && (framing[0] === 'chunked' || framing[0] === '11'), JSON.stringify(a.headers));

  const sized = await rawRequest(shared.gateway.port, head(['Content-Length: 5', 'Connection: close']) + 'hello');
  assert.equal(sized.status, 200);
  const b = await shared.upstream.nextRequest();
  assert.equal(b.bodyBytes, 5);
  assert.deepEqual(b.headers['content-length'], ['5']);
});

// The parser's own checks, repeated in checkFraming for a server started with
// --insecure-http-parser: exercised directly, since no strict parser lets them through.
const fake = (rawHeaders: string[]): IncomingMessage => ({ rawHeaders }) as unknown as IncomingMessage;

test('checkFraming: the shapes the strict parser refuses are refused here too', () => {
  assert.match(checkFraming(fake(['Content-Length', '5', 'Transfer-Encoding', 'chunked'])) ?? '', /both/);
  assert.match(checkFraming(fake(['content-length', '5', 'CONTENT-LENGTH', '5'])) ?? '', /more than one Content-Length/);
  assert.match(checkFraming(fake(['Transfer-Encoding', 'chunked', 'transfer-encoding', 'chunked'])) ?? '', /more than one Transfer-Encoding/);
  assert.match(checkFraming(fake(['Content-Length', '5, 5'])) ?? '', /invalid Content-Length/);
  assert.match(checkFraming(fake(['Content-Length', '-1'])) ?? '', /invalid Content-Length/);
  assert.match(checkFraming(fake(['Transfer-Encoding', 'chunked, gzip'])) ?? '', /other than chunked/);
});

test('checkFraming: ordinary requests pass', () => {
  assert.equal(checkFraming(fake([])), null);
  assert.equal(checkFraming(fake(['Host', 'a', 'Content-Length', '0'])), null);
  assert.equal(checkFraming(fake(['Host', 'a', 'Content-Length', '1048576'])), null);
  assert.equal(checkFraming(fake(['Transfer-Encoding', 'chunked'])), null);
  assert.equal(checkFraming(fake(['Transfer-Encoding', 'CHUNKED'])), null);
  assert.equal(checkFraming(fake(['X-Content-Length', '5', 'X-Transfer-Encoding', 'gzip'])), null);
});
