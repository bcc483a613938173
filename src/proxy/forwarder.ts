// Sends a request (or a WebSocket upgrade) that the gateway has already
// decided to let through on to the upstream, streaming both ways.
//
// Two engines behind the one Forwarder interface, so the decision code never
// sees them:
// - plain HTTP goes through an undici Pool (keep-alive connections to the
//   upstream, request and response bodies streamed with backpressure). It
//   sends the path it is given as is, never rebuilds it, and refuses framing
//   headers it did not compute itself. On the benchmark (BENCHMARKS.md) it
//   forwards about 1.3-1.8 times as many requests per second as http-proxy
//   over node:http's client.
// - WebSocket upgrades go through http-proxy, with the parts that are unsafe
//   for a gateway switched off or overridden:
//   - it rebuilds the outgoing path with url.parse and a join that collapses
//     slashes and turns "http:/" into "http://". The path is pinned instead:
//     the request line must carry exactly the path the policy checked.
//   - its own X-Forwarded-* (xfwd) and its timeout (which sets the *client*
//     socket's timeout) are removed; headers come from headers.ts.
//   - it reports a timeout as an ordinary reset. Handled here.
// Both: the upstream dying mid-response breaks the client's response (never
// a short one that looks complete); silence longer than the timeout is 504,
// any other failure before the response 502.
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { Pool, type Dispatcher } from 'undici';
import type { Logger } from '../logger.ts';

export interface ForwardTarget {
  /** Canonical path plus the raw query, sent on byte for byte. */
  path: string;
  /** From HeaderPolicy.upstreamHeaders. */
  headers: OutgoingHttpHeaders;
}

export type ForwardErrorKind = 'bad_gateway' | 'gateway_timeout';

export interface Forwarder {
  web(req: IncomingMessage, res: ServerResponse, target: ForwardTarget): void;
  /** Note: replaces `req.headers` with `target.headers` (the engine reads them from there). */
  ws(req: IncomingMessage, socket: Duplex, head: Buffer, target: ForwardTarget): void;
  /** Closes the upstream connections and open WebSocket tunnels; call once the server takes no more requests. */
  close(): Promise<void>;
}

export interface ForwarderOptions {
  upstream: URL;
  /** Longest silence from the upstream (no bytes either way) before giving up. */
  timeoutMs: number;
  /** Called at most once per request, before any response byte was sent; must answer `res`. */
  onError: (kind: ForwardErrorKind, req: IncomingMessage, res: ServerResponse) => void;
  logger: Logger;
}

/** The path each in-flight request must be sent with; read back when the engine builds the upstream request. */
const targetPath = Symbol('otpgate.targetPath');
type Forwarded = IncomingMessage & { [targetPath]?: string };

class UpstreamTimeout extends Error {
  readonly code = 'OTPGATE_UPSTREAM_TIMEOUT';
}
class PathNotPinned extends Error {
  readonly code = 'OTPGATE_PATH_NOT_PINNED';
}

/** Response headers that describe the upstream connection, not the response. */
const RESPONSE_HOP_BY_HOP_SET: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'trailer',
  'upgrade',
  // Node frames the response to the client itself (chunked, or by length).
  'transfer-encoding',
]);

const STATUS_LINE: Record<ForwardErrorKind, string> = {
  bad_gateway: 'HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
  gateway_timeout: 'HTTP/1.1 504 Gateway Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
};

type HttpProxyPass = (...args: unknown[]) => unknown;
interface HttpProxyInternals {
  webPasses: HttpProxyPass[];
  wsPasses: HttpProxyPass[];
}

/** undici's error codes for an upstream that went silent. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Undici refuses these request headers (it frames the request itself); headers.ts never sets them for web. */
const ENGINE_FRAMING = ['transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect'];

export function createForwarder(opts: ForwarderOptions): Forwarder {
  const { upstream, timeoutMs, onError, logger } = opts;
  const secure = upstream.protocol === 'https:';

  // Plain HTTP: keep-alive connections to the upstream, as many as there are
  // requests in flight (no queueing behind a slow upstream), each carrying
  // one request at a time (no pipelining: a slow response would hold up the
  // ones behind it). The timeouts are the longest silence while waiting for
  // the response head and between body chunks.
  const pool = new Pool(upstream.origin, {
    connections: null,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 4_000,
  });

  // Upgrades: keep-alive to the upstream, no TCP (or TLS) handshake per
  // request. No maxSockets cap: a queued request would get its socket after
  // the body has started, too late to pin the path.
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' })
    : new http.Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
  const hostname = upstream.hostname.startsWith('[') ? upstream.hostname.slice(1, -1) : upstream.hostname;
  const port = upstream.port === '' ? (secure ? 443 : 80) : Number(upstream.port);

  const proxy = httpProxy.createProxyServer({
    // An object, not a string: a string target is re-parsed on every request.
    target: { protocol: upstream.protocol, host: hostname, hostname, port },
    agent,
    xfwd: false,
    ws: true,
    secure: true,
    changeOrigin: false,
    prependPath: false,
    toProxy: true, // skips url.parse of req.url; the path is pinned below anyway
  });
  const internals = proxy as unknown as HttpProxyInternals;
  const unwanted = new Set(['deleteLength', 'timeout', 'XHeaders']);
  internals.wsPasses = internals.wsPasses.filter((pass) => !unwanted.has(pass.name));

  /** Client sockets whose upgrade the upstream accepted: from then on they carry frames, not HTTP. */
  const upgraded = new WeakSet<Duplex>();
  /** Upstream sockets of open WebSocket tunnels, ended by close(). */
  const tunnels = new Set<Duplex>();

  function pinPath(proxyReq: http.ClientRequest, req: Forwarded): boolean {
    const path = req[targetPath];
    if (path === undefined || proxyReq.headersSent) {
      proxyReq.destroy(new PathNotPinned('the upstream request line was written before its path was set'));
      return false;
    }
    proxyReq.path = path;
    return true;
  }

  proxy.on('proxyReqWs', (proxyReq, req, socket) => {
    if (!pinPath(proxyReq, req as Forwarded)) return;
    proxyReq.setTimeout(timeoutMs, () => proxyReq.destroy(new UpstreamTimeout(`no answer from the upstream in ${timeoutMs} ms`)));
    proxyReq.once('upgrade', (_res: IncomingMessage, upstreamSocket: Duplex) => {
      upgraded.add(socket);
      tunnels.add(upstreamSocket);
      // The engine only passes half-closes on; once either side is gone for
      // good the other must go too, or the pair lingers half-open.
      socket.once('close', () => upstreamSocket.destroy());
      upstreamSocket.once('close', () => {
        tunnels.delete(upstreamSocket);
        socket.destroy();
      });
    });
  });

  type EngineCallback = (err: Error, req: IncomingMessage, resOrSocket: ServerResponse | Duplex) => void;
  // Called without per-request options so the engine does not copy its option
  // object for every request (its typings insist on an options argument).
  const proxyWs = proxy.ws.bind(proxy) as unknown as (req: IncomingMessage, socket: Duplex, head: Buffer, cb: EngineCallback) => void;

  // Errors reach the per-call callback; this catches anything the engine emits without one.
  proxy.on('error', (err: Error) => logger.warn({ err: err.message }, 'proxy engine error'));

  /** The upstream's response head, cleaned of what describes its connection rather than the response. */
  function responseHeaders(headers: Record<string, string | string[] | undefined>, res: ServerResponse): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = Object.create(null) as OutgoingHttpHeaders;
    const connection = headers.connection;
    let named: string[] | null = null;
    if (connection !== undefined) {
      for (const token of (Array.isArray(connection) ? connection.join(',') : connection).split(',')) {
        const name = token.trim().toLowerCase();
        if (name !== '' && name !== 'content-length' && name !== 'transfer-encoding') (named ??= []).push(name);
      }
    }
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || RESPONSE_HOP_BY_HOP_SET.has(name) || (named !== null && named.includes(name))) continue;
      out[name] = value;
    }
    // The client connection's fate follows the client's request, not the upstream's.
    out.connection = res.shouldKeepAlive ? 'keep-alive' : 'close';
    return out;
  }

  function failWeb(err: Error, req: IncomingMessage, res: ServerResponse): void {
    // The client went away first: undici aborted the upstream request because of it.
    if (res.destroyed && (err as NodeJS.ErrnoException).code === 'UND_ERR_ABORTED') return;
    const code = (err as NodeJS.ErrnoException).code;
    const kind: ForwardErrorKind = code !== undefined && TIMEOUT_CODES.has(code) ? 'gateway_timeout' : 'bad_gateway';
    logger.warn({ err: err.message, code, kind }, 'upstream request failed');
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    onError(kind, req, res);
  }

  function failWs(err: Error, socket: Duplex): void {
    const kind: ForwardErrorKind = err instanceof UpstreamTimeout ? 'gateway_timeout' : 'bad_gateway';
    logger.warn({ err: err.message, code: (err as NodeJS.ErrnoException).code, kind }, 'upstream upgrade failed');
    if (upgraded.has(socket) || socket.destroyed) {
      socket.destroy();
      return;
    }
    // Written before the engine's socket.end(), so it is the last thing the client reads.
    socket.write(STATUS_LINE[kind]);
  }

  return {
    web(req, res, target) {
      const headers = target.headers;
      // A chunked request (framing.ts refused any other Transfer-Encoding)
      // goes on as a body of unknown length, which undici re-chunks.
      const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
      for (const name of ENGINE_FRAMING) delete headers[name];
      pool
        .stream(
          {
            path: target.path,
            method: req.method as Dispatcher.HttpMethod,
            headers: headers as Record<string, string | string[]>,
            body: hasBody ? req : null,
            opaque: res,
          },
          ({ statusCode, headers: upstreamHeaders, opaque }) => {
            const out = opaque as ServerResponse;
            out.writeHead(statusCode, responseHeaders(upstreamHeaders, out));
            // undici destroys `out` when the upstream fails mid-body, and
            // aborts the upstream request when `out` closes before it ends.
            return out;
          },
        )
        .catch((err: Error) => failWeb(err, req, res));
    },

    ws(req, socket, head, target) {
      const forwarded = req as Forwarded;
      forwarded[targetPath] = target.path;
      forwarded.headers = target.headers as IncomingHttpHeaders;
      forwarded.url = target.path;
      // An upgrade socket has no error listener of its own once the HTTP server hands it over.
      socket.on('error', () => socket.destroy());
      proxyWs(req, socket, head, (err) => failWs(err, socket));
    },

    async close() {
      for (const tunnel of tunnels) tunnel.destroy();
      agent.destroy();
      await pool.destroy();
    },
  };
}
