// Routes for operators and their tooling: liveness, readiness, metrics, logo.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { PageDeps } from '../deps.ts';

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

export function registerOperatorRoutes(app: FastifyInstance, deps: PageDeps): void {
  app.get('/healthz', async (_req, reply) => {
    reply.header('cache-control', 'no-store').type('text/plain');
    return 'ok\n';
  });

  app.get('/readyz', async (_req, reply) => {
    reply.header('cache-control', 'no-store').type('text/plain');
    try {
      await deps.store.ping();
      return 'ready\n';
    } catch {
      reply.code(503);
      return 'store unavailable\n';
    }
  });

  if (!deps.config.metrics.listen) {
    app.get('/metrics', async (_req, reply) => {
      reply.header('cache-control', 'no-store').type(deps.registry.contentType);
      return deps.registry.metrics();
    });
  }

  const logo = deps.config.gateway.logo;
  if (logo) {
    // Read once: the logo is configuration, not content that changes under us.
    const body = readFile(logo);
    const type = IMAGE_TYPES[extname(logo).toLowerCase()] ?? 'application/octet-stream';
    app.get('/logo', async (_req, reply) => {
      reply
        .type(type)
        .header('cache-control', 'public, max-age=3600')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
        .header('x-content-type-options', 'nosniff');
      return body;
    });
  }
}
