// Assembles a gateway from a resolved config: the store, the user directory,
// the policy, the forwarder, the pages and the webhook worker, wired into one
// HTTP server. Nothing here decides anything; see ./pipeline.ts for the
// request's path and src/policy for the decision.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/types.ts';
import { OtpgateError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createRegistry } from '../metrics/registry.ts';
import { compileRules } from '../policy/rules.ts';
import { compileTrustedProxies } from '../proxy/trusted.ts';
import { createHeaderPolicy } from '../proxy/headers.ts';
import { createForwarder } from '../proxy/forwarder.ts';
import { createStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { Sessions } from '../auth/sessions.ts';
import { connectSessionCache, DEFAULT_CACHE_TTL_MS, SessionCache } from '../auth/session-cache.ts';
import { Throttle } from '../auth/throttle.ts';
import { UserDirectory } from '../auth/users.ts';
import { Devices } from '../otp/devices.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { createPagesApp, registerPages } from '../pages/app.ts';
import { createRawErrorPage } from '../pages/render.ts';
import { SessionCookie } from './session-cookie.ts';
import { rememberCookieName } from '../pages/remember-cookie.ts';
import { createPipeline } from './pipeline.ts';
import { getRequestInfo } from './request-info.ts';
import { Counter } from 'prom-client';

export interface GatewayOptions {
  /** pino options for the gateway's log, or false for none. Default: info level to stdout. */
  log?: boolean | { level: string };
  /** Use this store instead of building one from config.store (the CLI and tests share one). */
  store?: Store;
  /** The clock for sessions, throttling and TOTP steps (tests move it instead of waiting). */
  now?: () => number;
  /** Start the webhook delivery worker (default true). */
  deliverWebhooks?: boolean;
  /**
   * How long the proxy pipeline may reuse a session read from Redis (ms;
   * default 2000, 0 turns the cache off). Logouts and resets reach every
   * gateway at once over the store's pub/sub; see src/auth/session-cache.ts.
   * The embedded store needs no cache and gets none.
   */
  cacheTtlMs?: number;
}

export interface Gateway {
  server: Server;
  store: Store;
  webhooks: WebhookDispatcher;
  logger: Logger;
  /** The pipeline's session cache, or null when there is none (tests watch its invalidations). */
  sessionCache: SessionCache | null;
  /** The users file in use ('reloaded' after an edit is applied). */
  users: UserDirectory;
  /** 'sessionsEnded' (username) once a changed user's sessions are gone. */
  events: EventEmitter<{ sessionsEnded: [username: string] }>;
  /** Starts listening (on config.server.listen unless given); resolves with the bound address. */
  listen(listen?: { host: string; port: number }): Promise<AddressInfo>;
  close(): Promise<void>;
}

export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const registry = createRegistry();
  const signer = fastifyCookie.signerFactory(config.secrets.session);
  const secure = config.server.publicUrl?.protocol === 'https:';
  const sessionCookie = new SessionCookie(
    { name: config.session.cookie, secure, maxAgeMs: config.session.maxAgeMs },
    signer,
  );

  const app = await createPagesApp(config, { log: options.log ?? true, signer });
  const logger: Logger = app.log as FastifyBaseLogger;

  const store = options.store ?? createStore(config.store, logger);
  const users = await UserDirectory.load(config.users.file, logger);
  users.watch();
  const now = options.now ?? Date.now;
  const cacheTtlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const sessionCache = store.kind === 'redis' && cacheTtlMs > 0 ? new SessionCache({ ttlMs: cacheTtlMs, now }) : null;
  // Not awaited: the cache stays off until its invalidation feed is in place,
  // and a store that is down at start-up must not hold the gateway up.
  const cacheFeed = sessionCache
    ? connectSessionCache(store, sessionCache).catch((err: unknown) => {
        logger.warn({ err }, 'session cache off: could not subscribe to invalidations');
        return null;
      })
    : Promise.resolve(null);
  const sessions = new Sessions(store, config.session, now, sessionCache);
  // A password changed, or a user removed or disabled, in the users file:
  // their sessions end everywhere (the user directory is the source of truth).
  const events = new EventEmitter<{ sessionsEnded: [username: string] }>();
  users.on('credentialsChanged', (names) => {
    for (const name of names) {
      sessions.destroyAllFor(name).then(
        () => events.emit('sessionsEnded', name),
        (err: unknown) => logger.warn({ err, user: name }, 'could not end the sessions of a changed user'),
      );
    }
  });
  const throttle = new Throttle(store, config.twoFactor.throttle, now);
  const devices = new Devices(store, {
    encryptionKey: config.secrets.encryptionKey,
    totp: config.twoFactor.totp,
    backupCodes: config.twoFactor.backupCodes,
    now,
  });
  const webhooks = new WebhookDispatcher(store, config.webhooks, { logger, registry });
  const rules = compileRules(config.protect, config.default);

  await registerPages(app, {
    config,
    store,
    sessions,
    sessionCookie,
    users,
    devices,
    throttle,
    events: webhooks,
    rules,
    registry,
    logger,
    now,
  });
  await app.ready();

  const errorPage = createRawErrorPage(config);

  const forwarder = createForwarder({
    upstream: config.upstream.url,
    timeoutMs: config.upstream.timeoutMs,
    logger,
    onError: (kind, req, res) => errorPage(req, res, kind === 'gateway_timeout' ? 504 : 502),
  });

  const decisions = new Counter({
    name: 'otpgate_requests_total',
    help: 'Requests on proxied paths by access decision.',
    labelNames: ['decision'],
    registers: [registry],
  });
  // Label children bound once: no label hashing per request.
  const decisionCounters = {
    allow: decisions.labels('allow'),
    login: decisions.labels('login'),
    verify: decisions.labels('verify'),
    setup: decisions.labels('setup'),
    forbidden: decisions.labels('forbidden'),
  };

  const pipeline = createPipeline({
    config,
    rules,
    isTrustedProxy: compileTrustedProxies(config.server.trustedProxies),
    storeReachable: () => store.reachable,
    readSession: async (cookie) => {
      const id = sessionCookie.readId(cookie);
      return id ? sessions.getForRequest(id) : null;
    },
    hasSessionCookie: (cookie) => cookie !== undefined && cookie.includes(config.session.cookie),
    users,
    headers: createHeaderPolicy({
      names: config.headers,
      sessionCookie: config.session.cookie,
      extraCookies: [rememberCookieName(config), '_csrf'],
    }),
    forwarder,
    pages: (req, res) => app.routing(req, res),
    errorPage,
    logger,
    onDecision: (kind) => decisionCounters[kind].inc(),
  });

  const accessLog = config.server.accessLog;
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    if (accessLog) logAccess(req, res, logger);
    pipeline.handleRequest(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => pipeline.handleUpgrade(req, socket, head));
  // Node hands CONNECT to this event, not to the request handler, and drops
  // the connection without an answer when nobody listens: refuse it (405)
  // like TRACE, never tunnel.
  server.on('connect', (_req: IncomingMessage, socket) => {
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed requests (smuggling shapes, bad methods, oversized headers)
    // rejected by Node's parser: answer 400 and close, never forward.
    if (socket.writable && err.code !== 'ECONNRESET') {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    } else socket.destroy();
  });

  let metricsServer: Server | null = null;
  if (config.metrics.listen) {
    metricsServer = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
  }

  if (options.deliverWebhooks !== false) webhooks.start();

  return {
    server,
    store,
    webhooks,
    logger,
    sessionCache,
    users,
    events,
    async listen(listen = config.server.listen) {
      await listenOn(server, listen, 'server.listen');
      if (metricsServer && config.metrics.listen) await listenOn(metricsServer, config.metrics.listen, 'metrics.listen');
      return server.address() as AddressInfo;
    },
    async close() {
      await webhooks.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (metricsServer) await new Promise<void>((resolve) => metricsServer?.close(() => resolve()));
      await forwarder.close();
      const stopCache = await cacheFeed;
      await stopCache?.();
      users.close();
      await app.close();
      if (!options.store) await store.close();
    },
  };
}

/**
 * `server.access_log`: one line per request once its response is done (or
 * abandoned). The query string is left out: it can carry tokens.
 */
function logAccess(req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  const started = performance.now();
  res.once('close', () => {
    let path: string;
    let ip: string;
    try {
      const info = getRequestInfo(req);
      path = info.path;
      ip = info.ip;
    } catch {
      // Refused before the target was canonicalised (bad method, framing or path).
      path = (req.url ?? '').split('?')[0]?.slice(0, 256) ?? '';
      ip = req.socket.remoteAddress ?? '';
    }
    logger.info(
      {
        method: req.method,
        path,
        status: res.headersSent ? res.statusCode : null,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ip,
        completed: res.writableFinished,
      },
      'request',
    );
  });
}

/** Starts listening; a port in use or a bad address is an error that names the config key. */
function listenOn(server: Server, at: { host: string; port: number }, key: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'the address is already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new OtpgateError('LISTEN_FAILED', `${key}: cannot listen on ${at.host}:${at.port}: ${why}`));
    };
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
