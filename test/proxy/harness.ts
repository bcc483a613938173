// A tiny gateway built from the src/proxy modules the way the request
// pipeline uses them, plus a raw-socket client, for the proxy tests.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { compileTrustedProxies } from '../../src/proxy/trusted.ts';
import { resolveClient } from '../../src/proxy/client-address.ts';
import { createHeaderPolicy } from '../../src/proxy/headers.ts';
import type { UpstreamIdentity } from '../../src/proxy/headers.ts';
import { createForwarder } from '../../src/proxy/forwarder.ts';
import { checkFraming } from '../../src/proxy/framing.ts';
import { silentLogger } from '../../src/logger.ts';
import { after, before } from 'node:test';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

export const HEADER_NAMES = {
  verified: 'X-User-Verified',
  user: 'X-Forwarded-User',
  email: 'X-Forwarded-Email',
  groups: 'X-Forwarded-Groups',
  device: 'X-User-Device',
};

export interface TestGateway {
  port: number;
  /** Who the "session" says the client is; tests change it between requests. */
  identity: UpstreamIdentity | null;
  /** Maps the received target to the path to forward (the pipeline's canonical path); identity by default. */
  pathFor: (url: string) => string;
  close(): Promise<void>;
}

export async function startGateway(
  upstream: URL,
  opts: { trustedProxies?: string[]; timeoutMs?: number } = {},
): Promise<TestGateway> {
  const isTrusted = compileTrustedProxies(opts.trustedProxies ?? []);
  const policy = createHeaderPolicy({
    names: HEADER_NAMES,
    sessionCookie: 'otpgate_session',
    extraCookies: ['otpgate_remember'],
  });
  const forwarder = createForwarder({
    upstream,
    timeoutMs: opts.timeoutMs ?? 5000,
    logger: silentLogger,
    onError(kind, _req, res) {
      const body = JSON.stringify({ error: kind });
      res.writeHead(kind === 'gateway_timeout' ? 504 : 502, { 'content-type': 'application/json' });
      res.end(body);
    },
  });

  const gateway: TestGateway = {
    port: 0,
    identity: null,
    pathFor: (url) => url,
    close: async () => {
      await forwarder.close();
      // Upgraded sockets are no longer the HTTP server's to close.
      for (const socket of upgradedSockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function contextFor(req: http.IncomingMessage, upgrade: boolean) {
    const client = resolveClient(
      req.socket.remoteAddress ?? '',
      req.headers['x-forwarded-for'] as string | undefined,
      req.headers['x-forwarded-proto'] as string | undefined,
      isTrusted,
      false,
    );
    return {
      identity: gateway.identity,
      forwardedFor: client.forwardedFor,
      proto: client.proto,
      host: req.headers.host ?? '',
      upgrade,
    };
  }

  const server = http.createServer((req, res) => {
    const refusal = checkFraming(req);
    if (refusal !== null) {
      res.writeHead(400, { connection: 'close', 'content-type': 'text/plain' });
      res.end(refusal);
      return;
    }
    const headers = policy.upstreamHeaders(req.rawHeaders, contextFor(req, false));
    forwarder.web(req, res, { path: gateway.pathFor(req.url ?? '/'), headers });
  });
  const upgradedSockets = new Set<net.Socket>();
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    upgradedSockets.add(socket);
    socket.once('close', () => upgradedSockets.delete(socket));
    const headers = policy.upstreamHeaders(req.rawHeaders, contextFor(req, true));
    forwarder.ws(req, socket, head, { path: gateway.pathFor(req.url ?? '/'), headers });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gateway.port = (server.address() as AddressInfo).port;
  return gateway;
}

export interface RawResponse {
  status: number;
  /** Lower-case name -> values. */
  headers: Record<string, string[]>;
  body: string;
  /** Everything received, for assertions on framing. */
  raw: string;
}

/**
 * Sends `text` as-is on a fresh connection and reads until the server closes
 * it. Requests should carry `Connection: close` (or be refused by the server).
 */
export function rawRequest(port: number, text: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      const head = end === -1 ? raw : raw.slice(0, end);
      const lines = head.split('\r\n');
      const headers: Record<string, string[]> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon === -1) continue;
        (headers[line.slice(0, colon).trim().toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
      }
      resolve({ status: Number((lines[0] ?? '').slice(9, 12)), headers, body: end === -1 ? '' : raw.slice(end + 4), raw });
    });
    socket.write(text);
  });
}

/** A request through `port` with Node's client; resolves with status and the parsed JSON body (or text). */
export function get(
  port: number,
  path: string,
  headers: http.OutgoingHttpHeaders | string[] = {},
  agent?: http.Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * One upstream and one gateway in front of it, shared by a test file: registers
 * the before/after hooks and returns the holder they fill in.
 */
export function sharedGateway(): { upstream: Upstream; gateway: TestGateway } {
  const shared = {} as { upstream: Upstream; gateway: TestGateway };
  before(async () => {
    shared.upstream = await startUpstream();
    shared.gateway = await startGateway(shared.upstream.url);
  });
  after(async () => {
    await shared.gateway.close();
    await shared.upstream.close();
  });
  return shared;
}
