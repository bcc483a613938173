// Turns a view into a response: builds the page context (CSP nonce, CSRF
// token, branding), sets the security headers, and sends the HTML. Error pages
// for the proxy path (raw Node responses) are rendered here too, so every
// page the gateway shows has the same look and headers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/types.ts';
import type { PageContext } from './views/context.ts';
import type { AttemptProblem } from './views/parts.ts';
import { renderError, type ErrorView } from './views/error.ts';
import { newNonce, securityHeaders } from './security-headers.ts';
import { sendHtml } from '../gateway/respond.ts';
import type { PageDeps } from './deps.ts';

function baseContext(config: Config, nonce: string, csrfToken: string): PageContext {
  return {
    title: config.gateway.title,
    basePath: config.gateway.path,
    accentColor: config.gateway.accentColor,
    logoUrl: config.gateway.logo ? `${config.gateway.path}/logo` : null,
    nonce,
    csrfToken,
  };
}

/** Renders a page with a fresh nonce and CSRF token and sends it with the security headers. */
export function sendPage(
  deps: PageDeps,
  reply: FastifyReply,
  status: number,
  build: (ctx: PageContext) => string,
  extraHeaders: Record<string, string> = {},
): FastifyReply {
  const nonce = newNonce();
  const ctx = baseContext(deps.config, nonce, reply.generateCsrf());
  return reply
    .code(status)
    .headers({ ...securityHeaders(nonce), ...extraHeaders })
    .type('text/html; charset=utf-8')
    .send(build(ctx));
}

export type ErrorVariant = ErrorView['variant'];

/** An error page from a gateway route. */
export function sendErrorPage(
  deps: PageDeps,
  _req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  variant?: ErrorVariant,
  retryAfterSeconds?: number,
): FastifyReply {
  const extra: Record<string, string> = retryAfterSeconds ? { 'retry-after': String(retryAfterSeconds) } : {};
  return sendPage(deps, reply, status, (ctx) => renderError(ctx, { status, variant, retryAfterSeconds }), extra);
}

/** Error pages for the proxy path, written to a raw Node response (no forms, so no CSRF token). */
export function createRawErrorPage(config: Config): (req: IncomingMessage, res: ServerResponse, status: number) => void {
  return (_req, res, status) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const nonce = newNonce();
    const html = renderError(baseContext(config, nonce, ''), { status });
    sendHtml(res, status, html, securityHeaders(nonce));
  };
}

/** The page problem and HTTP answer for a throttled attempt. */
export function throttledProblem(retryAfterMs: number, lockedOut: boolean): { problem: AttemptProblem; status: 429; headers: Record<string, string> } {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return {
    problem: lockedOut ? { kind: 'locked_out', minutes: Math.ceil(seconds / 60) } : { kind: 'wait', seconds },
    status: 429,
    headers: { 'retry-after': String(seconds) },
  };
}

/** A string field of a posted form (the first, when repeated). */
export function formField(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return '';
}
