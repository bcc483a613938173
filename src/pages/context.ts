// Small helpers the page routes share: who is signed in, where to go next,
// the request part of webhook events, and the same-origin check on POST.
import type { FastifyRequest } from 'fastify';
import type { Session } from '../auth/sessions.ts';
import type { User } from '../auth/users.ts';
import { decide } from '../policy/decide.ts';
import { safeNext } from '../policy/next.ts';
import { getRequestInfo } from '../gateway/request-info.ts';
import type { EventData } from '../webhooks/events.ts';
import type { PageDeps } from './deps.ts';

export interface SignedIn {
  session: Session;
  user: User;
}

/** The signed-in user, or null. The users file decides whether the account still exists and is enabled. */
export async function signedIn(deps: PageDeps, req: FastifyRequest): Promise<SignedIn | null> {
  const id = deps.sessionCookie.readId(req.headers.cookie);
  if (!id) return null;
  const session = await deps.sessions.get(id);
  if (!session) return null;
  const user = deps.users.get(session.username);
  if (!user || user.disabled) return null;
  return { session, user };
}

/** `next` from a query string or form, as a local path (never another origin). */
export function nextParam(value: unknown): string {
  return safeNext(typeof value === 'string' ? value : undefined, '/');
}

/** Where a user goes after a step: `next` itself, or the gateway page `next` still needs. */
export function whereNext(deps: PageDeps, user: User, state: { verified: boolean; hasDevice: boolean }, next: string): string {
  const base = deps.config.gateway.path;
  const path = next.split('?')[0] ?? '/';
  const decision = decide(
    deps.rules.match(path, 'GET'),
    { kind: 'user', username: user.username, groups: user.groups, verified: state.verified, hasDevice: state.hasDevice },
    deps.config.twoFactor.enforce,
  );
  if (decision.kind === 'verify') return `${base}/verify?next=${encodeURIComponent(next)}`;
  if (decision.kind === 'setup') return `${base}/setup?next=${encodeURIComponent(next)}`;
  return next;
}

/** The site name reported in events: the public URL's host, else the Host header. */
export function siteOf(deps: PageDeps, req: FastifyRequest): string {
  return deps.config.server.publicUrl?.host ?? getRequestInfo(req.raw).host;
}

export function eventData(
  deps: PageDeps,
  req: FastifyRequest,
  user: { username: string; email: string | null },
  path: string,
  device?: EventData['device'],
): EventData {
  const data: EventData = {
    user: { username: user.username, email: user.email },
    request: {
      ip: getRequestInfo(req.raw).ip,
      user_agent: String(req.headers['user-agent'] ?? ''),
      path,
      site: siteOf(deps, req),
    },
  };
  if (device) data.device = device;
  return data;
}

/**
 * Defence in depth beside the CSRF token: a POST must come from our own
 * origin. Browsers send Origin on every form POST; when it is absent we fall
 * back to Referer, and when both are absent (non-browser clients) the CSRF
 * token alone decides.
 */
export function isSameOrigin(deps: PageDeps, req: FastifyRequest): boolean {
  const info = getRequestInfo(req.raw);
  const expected = deps.config.server.publicUrl?.origin ?? `${info.proto}://${info.host}`;
  const origin = req.headers.origin;
  if (origin !== undefined) return origin === expected;
  const referer = req.headers.referer;
  if (referer !== undefined) return referer === expected || referer.startsWith(`${expected}/`);
  return true;
}
