// /setup: enrol a TOTP device. Confirming it verifies the session, exactly
// like /verify: `device.enrolled`, then `user.verified` (device type totp).
import type { FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import type { PageDeps } from '../deps.ts';
import { eventData, nextParam, signedIn, type SignedIn } from '../context.ts';
import { formField, sendPage } from '../render.ts';
import { renderSetup, type SetupView } from '../views/setup.ts';
import { renderBackupCodes } from '../views/backup-codes.ts';
import { decide } from '../../policy/decide.ts';
import { postGuards } from './guards.ts';
import { attempt } from './attempts.ts';

export function registerSetupRoutes(app: FastifyInstance, deps: PageDeps): void {
  const base = deps.config.gateway.path;
  const { totp } = deps.config.twoFactor;

  /** Why the user is on this page: chose to, the page they want needs it, or it is enforced. */
  function reason(current: SignedIn, next: string): SetupView['reason'] {
    if (deps.config.twoFactor.enforce) return 'enforced';
    const subject = { kind: 'user' as const, username: current.user.username, groups: current.user.groups, verified: false, hasDevice: false };
    const decision = decide(deps.rules.match(next.split('?')[0] ?? '/', 'GET'), subject, false);
    return decision.kind === 'setup' ? 'required_here' : 'optional';
  }

  async function setupView(current: SignedIn, next: string, problem: SetupView['problem']): Promise<SetupView> {
    const pending = await deps.devices.pendingEnrolment(current.user.username, deps.config.gateway.title, current.session.id);
    const qrSvg = await QRCode.toString(pending.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return {
      username: current.user.username,
      next,
      reason: reason(current, next),
      qrSvg,
      secret: pending.secret,
      otpauthUri: pending.uri,
      digits: totp.digits,
      period: totp.period,
      algorithm: totp.algorithm,
      problem,
    };
  }

  app.get('/setup', async (req, reply) => {
    const next = nextParam((req.query as Record<string, string | undefined>).next);
    const current = await signedIn(deps, req);
    if (!current) return reply.redirect(`${base}/login?next=${encodeURIComponent(next)}`, 303);
    if (await deps.devices.hasDevice(current.user.username)) {
      // Enrolled meanwhile (in another browser): this session must verify with it.
      if (!current.session.hasDevice) await deps.sessions.update(current.session, { hasDevice: true });
      return reply.redirect(current.session.verified ? `${base}/account` : `${base}/verify?next=${encodeURIComponent(next)}`, 303);
    }
    const view = await setupView(current, next, null);
    return sendPage(deps, reply, 200, (ctx) => renderSetup(ctx, view));
  });

  app.post('/setup', { preHandler: postGuards(app, deps) }, async (req, reply) => {
    const next = nextParam(formField(req.body, 'next'));
    const current = await signedIn(deps, req);
    if (!current) return reply.redirect(`${base}/login?next=${encodeURIComponent(next)}`, 303);
    const { user, session } = current;
    const code = formField(req.body, 'code');

    const result = await attempt(deps, req, user, 'code', next, async () => {
      const r = await deps.devices.confirmEnrolment(user.username, code, session.id);
      return r.ok ? r.backupCodes : null;
    });
    if (!result.ok) {
      if (await deps.devices.hasDevice(user.username)) return reply.redirect(`${base}/account`, 303);
      const view = await setupView(current, next, result.problem);
      return sendPage(deps, reply, result.status, (ctx) => renderSetup(ctx, view), result.headers);
    }
    // Sessions that signed in before the device existed were let through
    // `otp_if_configured` paths on the password alone: end them all, and
    // carry on in a new, verified session (a new id: no fixation).
    await deps.sessions.destroyAllFor(user.username);
    const verified = await deps.sessions.create({
      username: user.username,
      hasDevice: true,
      verified: true,
      device: 'totp',
      ip: session.ip,
      userAgent: session.userAgent,
    });
    deps.sessionCookie.set(reply, verified.id);
    const device = { name: 'totp', type: 'totp' as const };
    await deps.events.emit('device.enrolled', eventData(deps, req, user, next, device));
    await deps.events.emit('user.verified', eventData(deps, req, user, next, device));
    return sendPage(deps, reply, 200, (ctx) =>
      renderBackupCodes(ctx, { username: user.username, codes: result.value, next, regenerated: false }),
    );
  });
}
