// /verify: the second factor, with a TOTP code or a backup code.
import type { FastifyInstance } from 'fastify';
import type { PageDeps } from '../deps.ts';
import { eventData, nextParam, signedIn } from '../context.ts';
import { formField, sendPage } from '../render.ts';
import { renderVerify, type VerifyView } from '../views/verify.ts';
import { setRememberCookie } from '../remember-cookie.ts';
import { postGuards } from './guards.ts';
import { attempt } from './attempts.ts';

export function registerVerifyRoutes(app: FastifyInstance, deps: PageDeps): void {
  const base = deps.config.gateway.path;
  const rememberDays = deps.config.session.rememberDeviceMs > 0 ? Math.round(deps.config.session.rememberDeviceMs / 86_400_000) : null;
  const view = (username: string, next: string, mode: VerifyView['mode'], problem: VerifyView['problem']): VerifyView => ({
    username,
    next,
    mode,
    rememberDays,
    digits: deps.config.twoFactor.totp.digits,
    problem,
  });

  app.get('/verify', async (req, reply) => {
    const query = req.query as Record<string, string | undefined>;
    const next = nextParam(query.next);
    const current = await signedIn(deps, req);
    if (!current) return reply.redirect(`${base}/login?next=${encodeURIComponent(next)}`, 303);
    if (current.session.verified) return reply.redirect(next, 303);
    if (!current.session.hasDevice) return reply.redirect(`${base}/setup?next=${encodeURIComponent(next)}`, 303);
    return sendPage(deps, reply, 200, (ctx) => renderVerify(ctx, view(current.user.username, next, query.backup === '1' ? 'backup' : 'totp', null)));
  });

  app.post('/verify', { preHandler: postGuards(app, deps) }, async (req, reply) => {
    const next = nextParam(formField(req.body, 'next'));
    const current = await signedIn(deps, req);
    if (!current) return reply.redirect(`${base}/login?next=${encodeURIComponent(next)}`, 303);
    const { user, session } = current;
    const code = formField(req.body, 'code');
    const mode = formField(req.body, 'mode') === 'backup' ? 'backup' : 'totp';

    const result = await attempt(deps, req, user, 'code', next, async () => {
      const r = await deps.devices.verify(user.username, code);
      return r.ok ? r.device : null;
    });
    if (!result.ok) {
      return sendPage(deps, reply, result.status, (ctx) => renderVerify(ctx, view(user.username, next, mode, result.problem)), result.headers);
    }
    const device = result.value;
    // A new session id at verification: a session id seen before it is worth nothing after.
    const verified = await deps.sessions.rotate(session, { verified: true, device, hasDevice: true, verifiedAt: deps.now() });
    deps.sessionCookie.set(reply, verified.id);
    if (rememberDays !== null && formField(req.body, 'remember') !== '') {
      setRememberCookie(deps.config, reply, user.username, await deps.devices.deviceVersion(user.username), deps.now());
    }
    await deps.events.emit('user.verified', eventData(deps, req, user, next, { name: device, type: device }));
    return reply.redirect(next, 303);
  });
}
