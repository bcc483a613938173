// "Remember this browser": a signed, expiring cookie bound to the user and to
// the version of their devices, so enrolling again, disabling two-factor,
// "forget all browsers" or an administrator's reset-2fa invalidates every
// remembered browser at once (the version moves on).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/types.ts';
import { createRememberToken, readRememberToken, type RememberClaims } from '../auth/remember.ts';

export function rememberCookieName(config: Config): string {
  return `${config.session.cookie}_remember`;
}

export function setRememberCookie(config: Config, reply: FastifyReply, username: string, deviceVersion: number, now: number): void {
  const ms = config.session.rememberDeviceMs;
  const token = createRememberToken(config.secrets.session, { username, deviceVersion, expiresAt: now + ms });
  reply.setCookie(rememberCookieName(config), token, {
    path: config.gateway.path,
    httpOnly: true,
    sameSite: 'lax',
    secure: config.server.publicUrl?.protocol === 'https:',
    maxAge: Math.floor(ms / 1000),
  });
}

/** The remembered user, device version and expiry, or null when absent, expired, tampered or turned off. */
export function readRememberCookie(config: Config, req: FastifyRequest, now: number): RememberClaims | null {
  if (config.session.rememberDeviceMs <= 0) return null;
  const token = req.cookies[rememberCookieName(config)];
  return token ? readRememberToken(config.secrets.session, token, now) : null;
}
