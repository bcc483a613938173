// /account and the forms on it: regenerate backup codes, disable two-factor,
// forget remembered browsers, sign out everywhere.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PageDeps } from '../deps.ts';
import { eventData, signedIn, type SignedIn } from '../context.ts';
import { formField, sendErrorPage, sendPage } from '../render.ts';
import { renderAccount, type AccountNotice, type AccountView } from '../views/account.ts';
import { renderBackupCodes } from '../views/backup-codes.ts';
import { readRememberCookie } from '../remember-cookie.ts';
import { getRequestInfo } from '../../gateway/request-info.ts';
import { postGuards } from './guards.ts';
import { attempt } from './attempts.ts';

const NOTICES: readonly AccountNotice[] = ['browsers_forgotten', 'two_factor_disabled', 'sessions_ended'];

export function registerAccountRoutes(app: FastifyInstance, deps: PageDeps): void {
  const base = deps.config.gateway.path;
  const accountPath = `${base}/account`;
  const rememberMs = deps.config.session.rememberDeviceMs;

  /**
   * The account page needs a signed-in user who has verified (when they have
   * a device): it shows sessions and changes two-factor settings.
   */
  async function requireVerified(req: FastifyRequest, reply: FastifyReply): Promise<SignedIn | null> {
    const current = await signedIn(deps, req);
    if (!current) {
      await reply.redirect(`${base}/login?next=${encodeURIComponent(accountPath)}`, 303);
      return null;
    }
    if (current.session.hasDevice && !current.session.verified) {
      await reply.redirect(`${base}/verify?next=${encodeURIComponent(accountPath)}`, 303);
      return null;
    }
    return current;
  }

  async function accountView(req: FastifyRequest, current: SignedIn, extra: Pick<AccountView, 'notice' | 'formError'>): Promise<AccountView> {
    const username = current.user.username;
    const [status, sessions, version] = await Promise.all([
      deps.devices.status(username),
      deps.sessions.listFor(username),
      deps.devices.deviceVersion(username),
    ]);
    const remembered = readRememberCookie(deps.config, req, deps.now());
    return {
      username,
      enrolledAt: status.totp?.createdAt ?? null,
      backupCodesLeft: status.backupCodesLeft,
      digits: deps.config.twoFactor.totp.digits,
      enforced: deps.config.twoFactor.enforce,
      rememberDays: rememberMs > 0 ? Math.round(rememberMs / 86_400_000) : null,
      // A valid token for this user and the current device version: remembered until the token expires.
      rememberedUntil: remembered && remembered.username === username && remembered.deviceVersion === version ? remembered.expiresAt : null,
      sessions: sessions
        .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
        .map((s) => ({ createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, ip: s.ip, userAgent: s.userAgent, current: s.id === current.session.id })),
      ...extra,
    };
  }

  app.get(`/account`, async (req, reply) => {
    const current = await requireVerified(req, reply);
    if (!current) return reply;
    const done = (req.query as Record<string, string | undefined>).done as AccountNotice | undefined;
    const view = await accountView(req, current, { notice: done && NOTICES.includes(done) ? done : null, formError: null });
    return sendPage(deps, reply, 200, (ctx) => renderAccount(ctx, view));
  });

  /** A form that needs a current code (TOTP or backup): checked and throttled like /verify. */
  function codeProtected(form: 'regenerate' | 'disable', path: string, act: (req: FastifyRequest, reply: FastifyReply, current: SignedIn) => Promise<FastifyReply>) {
    app.post(path, { preHandler: postGuards(app, deps) }, async (req, reply) => {
      const current = await requireVerified(req, reply);
      if (!current) return reply;
      if (form === 'disable' && deps.config.twoFactor.enforce) return sendErrorPage(deps, req, reply, 403, 'enforced');
      const code = formField(req.body, 'code');
      const result = await attempt(deps, req, current.user, 'code', accountPath, async () => {
        const r = await deps.devices.verify(current.user.username, code);
        return r.ok ? r.device : null;
      });
      if (!result.ok) {
        const view = await accountView(req, current, { notice: null, formError: { form, problem: result.problem } });
        return sendPage(deps, reply, result.status, (ctx) => renderAccount(ctx, view), result.headers);
      }
      return act(req, reply, current);
    });
  }

  codeProtected('regenerate', '/backup-codes', async (req, reply, { user }) => {
    const codes = await deps.devices.regenerateBackupCodes(user.username);
    await deps.events.emit('backup_codes.regenerated', eventData(deps, req, user, accountPath, { name: 'backup', type: 'backup' }));
    return sendPage(deps, reply, 200, (ctx) => renderBackupCodes(ctx, { username: user.username, codes, next: accountPath, regenerated: true }));
  });

  codeProtected('disable', '/disable', async (req, reply, { user }) => {
    await deps.devices.removeAll(user.username);
    await deps.events.emit('device.removed', eventData(deps, req, user, accountPath, { name: 'totp', type: 'totp' }));
    // Every session of the user was made with the device in mind: end them
    // all, and carry on in a fresh one that is signed in without two-factor.
    await deps.sessions.destroyAllFor(user.username);
    const info = getRequestInfo(req.raw);
    const session = await deps.sessions.create({
      username: user.username,
      hasDevice: false,
      ip: info.ip,
      userAgent: String(req.headers['user-agent'] ?? ''),
    });
    deps.sessionCookie.set(reply, session.id);
    return reply.redirect(`${accountPath}?done=two_factor_disabled`, 303);
  });

  app.post('/forget-browsers', { preHandler: postGuards(app, deps) }, async (req, reply) => {
    const current = await requireVerified(req, reply);
    if (!current) return reply;
    await deps.devices.forgetRememberedBrowsers(current.user.username);
    return reply.redirect(`${accountPath}?done=browsers_forgotten`, 303);
  });

}
