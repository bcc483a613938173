// Plain values the access decision is made from. Everything in src/policy is
// pure: no I/O, no clock, no globals, so it can be tested exhaustively.
import type { ProtectRule, Requirement } from '../config/types.ts';

/** Result of canonicalising a request target (see ./canonical.ts). */
export type CanonicalTarget =
  | {
      ok: true;
      /** The canonical path: what rules are matched against and what is forwarded upstream. */
      path: string;
      /** The raw query string including its leading "?", or "" (never used for matching). */
      query: string;
    }
  | { ok: false; reason: string };

/** The rule that applies to a request (or the default when none matches). */
export interface MatchedRule {
  requirement: Requirement;
  /** null when no rule matched and `default` applies. */
  rule: ProtectRule | null;
}

/** Who is asking: what the decision needs to know about the session. */
export type Subject =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      username: string;
      groups: readonly string[];
      /** Verified with a second factor in this session (or by a remembered browser). */
      verified: boolean;
      /** The user has a confirmed two-factor device. */
      hasDevice: boolean;
    };

/** What to do with the request. */
export type Decision =
  | { kind: 'allow' }
  /** Not logged in: 401, or a redirect to the login page for a browser. */
  | { kind: 'login' }
  /** Logged in with a device but not verified: 403, or a redirect to /verify. */
  | { kind: 'verify' }
  /** Logged in without a device where one is needed: 403, or a redirect to /setup. */
  | { kind: 'setup' }
  /** `deny`, or a logged-in user outside the rule's groups: 403 page, never the login page. */
  | { kind: 'forbidden'; reason: 'deny' | 'groups' };
