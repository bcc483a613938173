// The request's path through the gateway, top to bottom:
//
//   check method and framing -> canonicalise the target -> gateway page? ->
//   upstream login form? -> match the rule -> load the session -> decide ->
//   forward (with identity headers) or refuse.
//
// Everything that decides is pure (src/policy); this file only threads the
// request through it and does the I/O at the edges. The same steps guard
// WebSocket upgrades (handleUpgrade), so an upgrade cannot skip a rule.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/types.ts';
import type { Logger } from '../logger.ts';
import type { RuleMatcher } from '../policy/rules.ts';
import type { Decision, Subject, CanonicalTarget } from '../policy/types.ts';
import type { Session } from '../auth/sessions.ts';
import type { User } from '../auth/users.ts';
import type { Forwarder } from '../proxy/forwarder.ts';
import { canonicalizeTarget } from '../policy/canonical.ts';
import { isUnderPrefix } from '../policy/rules.ts';
import { decide } from '../policy/decide.ts';
import { checkMethod, isBrowserNavigation } from '../policy/request.ts';
import { safeNext } from '../policy/next.ts';
import { checkFraming } from '../proxy/framing.ts';
import { resolveClient } from '../proxy/client-address.ts';
import type { createHeaderPolicy } from '../proxy/headers.ts';
import { StoreUnavailableError } from '../store/types.ts';
import { setRequestInfo, type RequestInfo } from './request-info.ts';
import { refusalBody, refusalLocation, refusalStatus, refuseUpgrade, sendJson, sendRedirect, type Refusal } from './respond.ts';

/** Everything the pipeline needs, built once at start-up (see ./gateway.ts). */
export interface PipelineDeps {
  config: Config;
  rules: RuleMatcher;
  isTrustedProxy: (address: string) => boolean;
  /** False while the store is known to be down (no round trip). */
  storeReachable: () => boolean;
  /** Reads the session named by a Cookie header (null: none or expired); rejects when the store is down. */
  readSession: (cookieHeader: string | undefined) => Promise<Session | null>;
  /** Whether a Cookie header names a session at all (no store access). */
  hasSessionCookie: (cookieHeader: string | undefined) => boolean;
  users: { get(username: string): User | undefined };
  headers: ReturnType<typeof createHeaderPolicy>;
  forwarder: Forwarder;
  /** Hands a request for the gateway's own pages to the page router. */
  pages: (req: IncomingMessage, res: ServerResponse) => void;
  /** Writes an HTML error page (400, 403, 405, 503...). */
  errorPage: (req: IncomingMessage, res: ServerResponse, status: number) => void;
  logger: Logger;
  onDecision?: (decision: Decision['kind']) => void;
}

interface Identified {
  subject: Subject;
  identity: { username: string; email: string | null; groups: string[]; verified: boolean; device: Session['device'] } | null;
}

const ANONYMOUS: Identified = { subject: { kind: 'anonymous' }, identity: null };

const STORE_DOWN_BODY = JSON.stringify({ error: 'store_unavailable' });

export function createPipeline(deps: PipelineDeps) {
  const { config, rules, logger } = deps;
  const basePath = config.gateway.path;
  const loginPaths = config.upstream.loginPaths;
  const enforce = config.twoFactor.enforce;

  /** Steps shared by plain requests and upgrades: method, target, client. Returns null when refused. */
  function admit(req: IncomingMessage, refuse: (status: number) => void): RequestInfo | null {
    const method = checkMethod(req.method ?? '');
    if (method !== 'ok') {
      refuse(method === 'bad-request' ? 400 : 405);
      return null;
    }
    if (checkFraming(req) !== null) {
      refuse(400);
      return null;
    }
    const target: CanonicalTarget = canonicalizeTarget(req.url ?? '');
    if (!target.ok) {
      refuse(400);
      return null;
    }
    const xff = req.headers['x-forwarded-for'];
    const xfp = req.headers['x-forwarded-proto'];
    const client = resolveClient(
      req.socket.remoteAddress ?? '',
      Array.isArray(xff) ? xff.join(',') : xff,
      Array.isArray(xfp) ? xfp[0] : xfp,
      deps.isTrustedProxy,
    );
    const info: RequestInfo = {
      ip: client.ip,
      forwardedFor: client.forwardedFor,
      proto: client.proto,
      host: req.headers.host ?? '',
      path: target.path,
      query: target.query,
    };
    setRequestInfo(req, info);
    return info;
  }

  /** Loads the session and the user behind it. Only touches the store when a session cookie is present. */
  async function identify(req: IncomingMessage): Promise<Identified> {
    const cookie = req.headers.cookie;
    if (!deps.hasSessionCookie(cookie)) return ANONYMOUS;
    const session = await deps.readSession(cookie);
    if (!session) return ANONYMOUS;
    // The users file is the source of truth for groups, email and whether the
    // account is still enabled: an edit takes effect on the next request.
    const user = deps.users.get(session.username);
    if (!user || user.disabled) return ANONYMOUS;
    return {
      subject: { kind: 'user', username: user.username, groups: user.groups, verified: session.verified, hasDevice: session.hasDevice },
      identity: { username: user.username, email: user.email, groups: user.groups, verified: session.verified, device: session.device },
    };
  }

  /** Match, identify, decide. A store outage makes protected paths fail closed and public ones anonymous. */
  async function authorize(req: IncomingMessage, info: RequestInfo): Promise<{ decision: Decision; who: Identified } | 'store-down'> {
    const matched = rules.match(info.path, req.method ?? 'GET');
    let who = ANONYMOUS;
    const isProtected = matched.requirement !== 'public' && matched.requirement !== 'deny';
    // Fail closed without waiting for a timeout, also for requests without a session.
    if (isProtected && !deps.storeReachable()) return 'store-down';
    if (matched.requirement !== 'deny') {
      try {
        who = await identify(req);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        if (isProtected) return 'store-down';
      }
    }
    const decision = decide(matched, who.subject, enforce);
    deps.onDecision?.(decision.kind);
    return { decision, who };
  }

  function upstreamLoginRedirect(info: RequestInfo): string | null {
    for (const p of loginPaths) {
      if (isUnderPrefix(info.path, p)) {
        const next = new URLSearchParams(info.query.slice(1)).get('next');
        return `${basePath}/login?next=${encodeURIComponent(safeNext(next ?? '/'))}`;
      }
    }
    return null;
  }

  /** The canonical path and the headers the upstream gets: client copies of identity headers gone, ours set. */
  function upstreamTarget(req: IncomingMessage, info: RequestInfo, who: Identified, upgrade: boolean) {
    return {
      path: info.path + info.query,
      headers: deps.headers.upstreamHeaders(req.rawHeaders, {
        identity: who.identity,
        forwardedFor: info.forwardedFor,
        proto: info.proto,
        host: info.host,
        upgrade,
      }),
    };
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const info = admit(req, (status) => deps.errorPage(req, res, status));
    if (!info) return;

    if (isUnderPrefix(info.path, basePath)) {
      req.url = info.path + info.query;
      deps.pages(req, res);
      return;
    }

    const loginRedirect = upstreamLoginRedirect(info);
    if (loginRedirect) {
      sendRedirect(res, loginRedirect);
      return;
    }

    const result = await authorize(req, info);
    if (result === 'store-down') {
      // A page for people, JSON for programs, like every other refusal.
      if (isBrowserNavigation(req.method ?? '', req.headers.accept)) deps.errorPage(req, res, 503);
      else sendJson(res, 503, STORE_DOWN_BODY, { 'retry-after': '5' });
      return;
    }
    const { decision, who } = result;
    if (decision.kind !== 'allow') {
      refuse(req, res, info, decision);
      return;
    }
    deps.forwarder.web(req, res, upstreamTarget(req, info, who, false));
  }

  function refuse(req: IncomingMessage, res: ServerResponse, info: RequestInfo, decision: Refusal): void {
    const next = info.path + info.query;
    if (decision.kind === 'forbidden') {
      if (isBrowserNavigation(req.method ?? '', req.headers.accept)) deps.errorPage(req, res, 403);
      else sendJson(res, 403, refusalBody(basePath, decision, next));
      return;
    }
    if (isBrowserNavigation(req.method ?? '', req.headers.accept)) {
      sendRedirect(res, refusalLocation(basePath, decision, next) as string);
      return;
    }
    sendJson(res, refusalStatus(decision), refusalBody(basePath, decision, next));
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const info = admit(req, (status) => refuseUpgrade(socket, status, JSON.stringify({ error: 'bad_request' })));
    if (!info) return;
    if (isUnderPrefix(info.path, basePath)) {
      refuseUpgrade(socket, 404, JSON.stringify({ error: 'not_found' }));
      return;
    }
    const result = await authorize(req, info);
    if (result === 'store-down') {
      refuseUpgrade(socket, 503, STORE_DOWN_BODY);
      return;
    }
    const { decision, who } = result;
    if (decision.kind !== 'allow') {
      const next = info.path + info.query;
      refuseUpgrade(socket, refusalStatus(decision), refusalBody(basePath, decision, next));
      return;
    }
    deps.forwarder.ws(req, socket, head, upstreamTarget(req, info, who, true));
  }

  return {
    handleRequest(req: IncomingMessage, res: ServerResponse): void {
      handleRequest(req, res).catch((err: unknown) => {
        logger.error({ err, url: req.url }, 'request failed');
        if (!res.headersSent) deps.errorPage(req, res, 500);
        else res.destroy();
      });
    },
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      handleUpgrade(req, socket, head).catch((err: unknown) => {
        logger.error({ err, url: req.url }, 'upgrade failed');
        socket.destroy();
      });
    },
  };
}
