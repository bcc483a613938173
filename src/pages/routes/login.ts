// /login: the first factor. Also where a remembered browser skips the code.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PageDeps } from '../deps.ts';
import { eventData, nextParam, signedIn, whereNext } from '../context.ts';
import { formField, sendPage } from '../render.ts';
import { renderLogin } from '../views/login.ts';
import { getRequestInfo } from '../../gateway/request-info.ts';
import { readRememberCookie } from '../remember-cookie.ts';
import { postGuards } from './guards.ts';
import { attempt } from './attempts.ts';

export function registerLoginRoutes(app: FastifyInstance, deps: PageDeps): void {
  app.get('/login', async (req, reply) => {
    const query = req.query as Record<string, string | undefined>;
    const next = nextParam(query.next);
    const current = await signedIn(deps, req);
    // An already signed-in user goes straight on (or to the step `next` still needs).
    if (current) return reply.redirect(whereNext(deps, current.user, current.session, next), 303);
    return sendPage(deps, reply, 200, (ctx) =>
      renderLogin(ctx, { next, username: '', problem: null, notice: query.signed_out === '1' ? 'signed_out' : null }),
    );
  });

  app.post('/login', { preHandler: postGuards(app, deps) }, async (req, reply) => {
    const username = formField(req.body, 'username').trim();
    const password = formField(req.body, 'password');
    const next = nextParam(formField(req.body, 'next'));

    const known = deps.users.get(username);
    const result = await attempt(deps, req, { username, email: known?.email ?? null }, 'password', next, () =>
      deps.users.authenticate(username, password),
    );
    if (!result.ok) {
      return sendPage(deps, reply, result.status, (ctx) => renderLogin(ctx, { next, username, problem: result.problem, notice: null }), result.headers);
    }
    const user = result.value;

    // No fixation: whatever session this browser had ends here, and the new one gets a fresh id.
    const oldId = deps.sessionCookie.readId(req.headers.cookie);
    if (oldId) await deps.sessions.destroy(oldId);

    const hasDevice = await deps.devices.hasDevice(user.username);
    const remembered = hasDevice ? readRememberCookie(deps.config, req, deps.now()) : null;
    const verified =
      remembered !== null &&
      remembered.username === user.username &&
      remembered.deviceVersion === (await deps.devices.deviceVersion(user.username));

    const info = getRequestInfo(req.raw);
    let session = await deps.sessions.create({
      username: user.username,
      hasDevice,
      verified,
      device: verified ? 'remembered' : null,
      ip: info.ip,
      userAgent: String(req.headers['user-agent'] ?? ''),
    });
    // A device enrolled while this login ran: enrolment ends the sessions it
    // can see, and this one may have been created just after. Look again now
    // that it exists, so it cannot pass otp_if_configured paths unverified.
    if (!hasDevice && (await deps.devices.hasDevice(user.username))) {
      session = await deps.sessions.update(session, { hasDevice: true });
    }
    deps.sessionCookie.set(reply, session.id);
    if (verified) {
      await deps.events.emit('user.verified', eventData(deps, req, user, next, { name: 'remembered', type: 'remembered' }));
    }
    return reply.redirect(whereNext(deps, user, session, next), 303);
  });

  /**
   * Ends this browser's session, or all of the user's sessions. "Everywhere"
   * needs a session that passed the second factor (or a user without one):
   * the password alone must not be enough to throw the real user out.
   */
  async function signOut(req: FastifyRequest, reply: FastifyReply, everywhere: boolean): Promise<FastifyReply> {
    const id = deps.sessionCookie.readId(req.headers.cookie);
    if (id) {
      const session = await deps.sessions.get(id);
      if (everywhere && session && (session.verified || !session.hasDevice)) await deps.sessions.destroyAllFor(session.username);
      else await deps.sessions.destroy(id);
    }
    deps.sessionCookie.clear(reply);
    return reply.redirect(`${deps.config.gateway.path}/login?signed_out=1`, 303);
  }

  app.post('/logout', { preHandler: postGuards(app, deps) }, (req, reply) => signOut(req, reply, formField(req.body, 'scope') === 'all'));
  app.post('/logout-everywhere', { preHandler: postGuards(app, deps) }, (req, reply) => signOut(req, reply, true));
}
