// A real HTTP server standing in for the protected application in tests.
//
//   const up = await startUpstream();            // listens on 127.0.0.1, a free port
//   up.url                                       // URL of the server, e.g. http://127.0.0.1:41234/
//   up.requests                                  // every RecordedRequest so far, in arrival order
//   await up.nextRequest()                       // the next request not yet returned by nextRequest()
//   up.connections                               // TCP connections accepted so far (keep-alive reuse)
//   up.setMode('hang')                           // 'echo' (default) | 'hang': read the request, never answer
//   await up.close()
//
// Each answered request gets 200 with a JSON echo:
//   { method, url, headers: { lower-case name: [values...] }, bodyBytes }
// The body is counted, never kept, so large uploads cost no memory.
//
// WebSocket: an upgrade request with Upgrade: websocket is answered with a
// hand-written 101 handshake; the server then reads one client frame and
// sends its payload back in a text frame. Upgrades are recorded too
// (bodyBytes 0). For the client side, see wsHandshake / encodeClientFrame /
// readServerFrame below.
import http from 'node:http';
import { Readable } from 'node:stream';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

export interface RecordedRequest {
  method: string;
  /** The request target exactly as it arrived. */
  url: string;
  /** Header names and values in arrival order, original casing: [name, value, name, value, ...]. */
  rawHeaders: string[];
  /** Lower-case name -> every value received under it, in order. */
  headers: Record<string, string[]>;
  bodyBytes: number;
  /** Which TCP connection it came on (1, 2, ...): equal ids mean a reused connection. */
  connectionId: number;
  upgrade: boolean;
}

export type UpstreamMode = 'echo' | 'hang';

export interface Upstream {
  url: URL;
  port: number;
  requests: RecordedRequest[];
  readonly connections: number;
  nextRequest(): Promise<RecordedRequest>;
  setMode(mode: UpstreamMode): void;
  close(): Promise<void>;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function groupHeaders(raw: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    (out[name] ??= []).push(raw[i + 1] as string);
  }
  return out;
}

export async function startUpstream(): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const waiting: ((r: RecordedRequest) => void)[] = [];
  let cursor = 0;
  let connections = 0;
  let mode: UpstreamMode = 'echo';
  const connectionIds = new WeakMap<net.Socket, number>();
  const sockets = new Set<net.Socket>();

  function record(r: RecordedRequest): void {
    requests.push(r);
    const waiter = waiting.shift();
    if (waiter) {
      cursor++;
      waiter(r);
    }
  }

  const server = http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders: req.rawHeaders,
        headers: groupHeaders(req.rawHeaders),
        bodyBytes,
        connectionId: connectionIds.get(req.socket) ?? 0,
        upgrade: false,
      };
      record(recorded);
      if (mode === 'hang') return;
      const body = JSON.stringify({ method: recorded.method, url: recorded.url, headers: recorded.headers, bodyBytes });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });

  server.on('connection', (socket: net.Socket) => {
    connections++;
    connectionIds.set(socket, connections);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // The HTTP server allows half-open sockets; a WebSocket peer that says goodbye is done.
    socket.on('end', () => socket.end());
    record({
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders: req.rawHeaders,
      headers: groupHeaders(req.rawHeaders),
      bodyBytes: 0,
      connectionId: connectionIds.get(socket) ?? 0,
      upgrade: true,
    });
    const key = req.headers['sec-websocket-key'];
    if (mode === 'hang') return;
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    void readClientFrame(socket, head).then(
      (payload) => socket.write(encodeServerFrame(payload)),
      () => socket.destroy(),
    );
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    port,
    requests,
    get connections() {
      return connections;
    },
    nextRequest() {
      if (cursor < requests.length) return Promise.resolve(requests[cursor++] as RecordedRequest);
      return new Promise((resolve) => waiting.push(resolve));
    },
    setMode(next) {
      mode = next;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- WebSocket framing (RFC 6455), just enough for one small message each way ----

/** Reads bytes from `socket` (after `head`) until `isDone(buffer)` returns a result. */
function readUntil<T>(socket: net.Socket, head: Buffer, isDone: (buf: Buffer) => T | null): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = head;
    const check = (): boolean => {
      const result = isDone(buf);
      if (result === null) return false;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(result);
      return true;
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      check();
    };
    const onClose = (): void => reject(new Error('socket closed before the expected data arrived'));
    socket.on('data', onData);
    socket.on('close', onClose);
    check();
  });
}

/** Parses one frame (payload < 64 KiB) from `buf`, or null when it is incomplete. */
function parseFrame(buf: Buffer): { payload: Buffer; masked: boolean } | null {
  if (buf.length < 2) return null;
  const masked = ((buf[1] as number) & 0x80) !== 0;
  let length = (buf[1] as number) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return null;
    length = buf.readUInt16BE(2);
    offset = 4;
  }
  const maskLength = masked ? 4 : 0;
  if (buf.length < offset + maskLength + length) return null;
  const payload = Buffer.from(buf.subarray(offset + maskLength, offset + maskLength + length));
  if (masked) {
    const mask = buf.subarray(offset, offset + 4);
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  }
  return { payload, masked };
}

function frameHeader(length: number, masked: boolean): Buffer {
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) return Buffer.from([0x81, maskBit | length]);
  const header = Buffer.alloc(4);
  header[0] = 0x81;
  header[1] = maskBit | 126;
  header.writeUInt16BE(length, 2);
  return header;
}

function readClientFrame(socket: net.Socket, head: Buffer): Promise<Buffer> {
  return readUntil(socket, head, (buf) => {
    const frame = parseFrame(buf);
    if (frame === null) return null;
    if (!frame.masked) throw new Error('client frames must be masked');
    return frame.payload;
  });
}

function encodeServerFrame(payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length, false), payload]);
}

/** A masked text frame, as a browser would send it. */
export function encodeClientFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([frameHeader(payload.length, true), mask, masked]);
}

export interface WsHandshakeResult {
  socket: net.Socket;
  /** The status line and headers the client received, e.g. "HTTP/1.1 101 Switching Protocols\r\n...". */
  head: string;
  status: number;
  /** Whether Sec-WebSocket-Accept matches the key sent. */
  acceptOk: boolean;
  /** Bytes received after the header block. */
  rest: Buffer;
}

/** Opens a raw socket to `port` and sends a WebSocket upgrade for `path` with optional extra header lines. */
export async function wsHandshake(port: number, path: string, extraHeaders: string[] = []): Promise<WsHandshakeResult> {
  const key = randomBytes(16).toString('base64');
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      ...extraHeaders,
      '',
      '',
    ].join('\r\n'),
  );
  const { head, rest } = await readUntil(socket, Buffer.alloc(0), (buf) => {
    const end = buf.indexOf('\r\n\r\n');
    return end === -1 ? null : { head: buf.subarray(0, end).toString('latin1'), rest: buf.subarray(end + 4) };
  });
  const status = Number(head.slice(9, 12));
  const expected = createHash('sha1').update(key + WS_GUID).digest('base64');
  const acceptOk = new RegExp(`^sec-websocket-accept: ${expected.replace(/[+/=]/g, '\\$&')}$`, 'im').test(head);
  return { socket, head, status, acceptOk, rest };
}

/** Reads one unmasked server frame's payload as text. */
export function readServerFrame(socket: net.Socket, already: Buffer = Buffer.alloc(0)): Promise<string> {
  return readUntil(socket, already, (buf) => {
    const frame = parseFrame(buf);
    return frame === null ? null : frame.payload.toString('utf8');
  });
}

/**
 * A request body of `total` bytes made chunk by chunk from one reused 64 KiB
 * buffer, so a test can send hundreds of megabytes without holding them.
 */
export function streamedBody(total: number, fill = 0x61): Readable {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}
