// How the gateway answers when it does not forward: redirects for browser
// navigations, JSON for everything else, and HTML error pages. Kept in one
// place so every refusal looks the same whether it comes from the proxy path,
// a WebSocket upgrade or a gateway page.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { Decision } from '../policy/types.ts';
import { baselineSecurityHeaders } from '../pages/security-headers.ts';

export type Refusal = Exclude<Decision, { kind: 'allow' }>;

/** The gateway page a refused browser is sent to, with `next` = where it was going. */
export function refusalLocation(basePath: string, decision: Refusal, next: string): string | null {
  const page = decision.kind === 'login' ? 'login' : decision.kind === 'verify' ? 'verify' : decision.kind === 'setup' ? 'setup' : null;
  return page ? `${basePath}/${page}?next=${encodeURIComponent(next)}` : null;
}

const ERROR_CODES: Record<Refusal['kind'], string> = {
  login: 'login_required',
  verify: 'verification_required',
  setup: 'two_factor_setup_required',
  forbidden: 'forbidden',
};

/** Status for a refusal of a non-browser request: 401 when not logged in, 403 otherwise. */
export function refusalStatus(decision: Refusal): 401 | 403 {
  return decision.kind === 'login' ? 401 : 403;
}

export function refusalBody(basePath: string, decision: Refusal, next: string): string {
  const body: { error: string; login_url?: string } = { error: ERROR_CODES[decision.kind] };
  const location = refusalLocation(basePath, decision, next);
  if (location) body.login_url = location;
  return JSON.stringify(body);
}

export function sendRedirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { ...baselineSecurityHeaders(), location, 'content-length': '0' });
  res.end();
}

export function sendJson(res: ServerResponse, status: number, body: string, extra?: Record<string, string>): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string>): void {
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** Refuses a WebSocket upgrade on the raw socket, before any byte reaches the upstream. */
export function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'connection: close\r\ncontent-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
