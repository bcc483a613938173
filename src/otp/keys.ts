// Store keys for a user's second factors, all in one place. Keys are
// relative: the store adds its configured prefix. No suffix contains ':',
// so a user name containing ':' cannot reach another user's keys.
import { createHash } from 'node:crypto';

export const userKeys = {
  /** JSON { secret: sealed base32 seed, createdAt: ms }. */
  totp: (user: string) => `user:${user}:totp`,
  /** The last accepted TOTP time step: codes of this step or older are refused. */
  totpStep: (user: string) => `user:${user}:totp_step`,
  /** Set of keyed hashes of unused backup codes. */
  backup: (user: string) => `user:${user}:backup`,
  /**
   * A sealed TOTP seed shown on /setup, not yet confirmed with a code. One per
   * enrolment attempt (the browser session showing it): a seed shown to one
   * session is never shown to another, so someone who knows only the password
   * cannot read the seed the real user is about to scan.
   */
  enrol: (user: string, attempt: string) =>
    `user:${user}:enrol_${createHash('sha256').update(attempt).digest('base64url').slice(0, 22)}`,
  /** Bumped whenever the user's devices change; remembered browsers are bound to it. */
  deviceVersion: (user: string) => `user:${user}:devver`,
};
