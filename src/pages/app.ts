// The gateway's own pages, served by fastify under gateway.path. The pipeline
// (src/gateway/pipeline.ts) hands requests for that prefix to `app.routing`
// after canonicalising them, so these routes never see a raw client path.
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyCsrf from '@fastify/csrf-protection';
import type { Config } from '../config/types.ts';
import { StoreUnavailableError } from '../store/types.ts';
import type { PageDeps } from './deps.ts';
import { registerLoginRoutes } from './routes/login.ts';
import { registerVerifyRoutes } from './routes/verify.ts';
import { registerSetupRoutes } from './routes/setup.ts';
import { registerAccountRoutes } from './routes/account.ts';
import { registerOperatorRoutes } from './routes/operator.ts';
import { sendErrorPage } from './render.ts';
import { baselineSecurityHeaders } from './security-headers.ts';

type Signer = ReturnType<typeof fastifyCookie.signerFactory>;

/** The fastify instance with its plugins; routes are added by registerPages once the rest is built. */
export async function createPagesApp(config: Config, opts: { log: boolean | { level: string }; signer: Signer }): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.log === false ? false : opts.log === true ? { level: 'info' } : opts.log,
    // The pipeline resolved the client address with server.trusted_proxies already.
    trustProxy: false,
    // Page requests are not logged one by one; events and errors are.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // Prefix rules match case-insensitively, so the gateway's own pages do too.
    routerOptions: { caseSensitive: false },
  });
  const secure = config.server.publicUrl?.protocol === 'https:';
  await app.register(fastifyCookie, { secret: opts.signer });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: '_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: config.gateway.path, secure },
    getToken: (req: FastifyRequest) => {
      const body = req.body as Record<string, unknown> | undefined;
      return typeof body?._csrf === 'string' ? body._csrf : undefined;
    },
  });
  return app;
}

/** Adds the page routes and the error handling that turns failures into pages people can act on. */
export async function registerPages(app: FastifyInstance, deps: PageDeps): Promise<void> {
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof StoreUnavailableError) {
      deps.logger.warn({ path: req.url }, `store unavailable: ${err.message}`);
      return sendErrorPage(deps, req, reply, 503);
    }
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
      return sendErrorPage(deps, req, reply, 403, 'csrf');
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) deps.logger.error({ err, path: req.url }, 'page failed');
    return sendErrorPage(deps, req, reply, status);
  });
  app.setNotFoundHandler((req, reply) => sendErrorPage(deps, req, reply, 404));
  // Pages set their own (nonce) headers; everything else the gateway answers
  // (redirects that set the session cookie, health checks, metrics) gets the
  // baseline, without overriding what a route chose (the logo is cacheable).
  const baseline = Object.entries(baselineSecurityHeaders());
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [name, value] of baseline) if (!reply.hasHeader(name)) reply.header(name, value);
    return payload;
  });

  const prefix = deps.config.gateway.path;
  await app.register(
    async (scope) => {
      registerLoginRoutes(scope, deps);
      registerVerifyRoutes(scope, deps);
      registerSetupRoutes(scope, deps);
      registerAccountRoutes(scope, deps);
      registerOperatorRoutes(scope, deps);
    },
    { prefix },
  );
}
