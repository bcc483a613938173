// Pre-handlers for state-changing routes: same origin, then the CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { PageDeps } from '../deps.ts';
import { isSameOrigin } from '../context.ts';
import { sendErrorPage } from '../render.ts';

export function postGuards(app: FastifyInstance, deps: PageDeps): preHandlerHookHandler[] {
  const sameOrigin: preHandlerHookHandler = (req: FastifyRequest, reply: FastifyReply, done) => {
    if (!isSameOrigin(deps, req)) {
      sendErrorPage(deps, req, reply, 403, 'csrf');
      return;
    }
    done();
  };
  return [sameOrigin, app.csrfProtection];
}
