// The access decision: a pure function of the matched rule and who is asking.
// Decisions are shared frozen values, so deciding allocates nothing.
import type { Decision, MatchedRule, Subject } from './types.ts';

const ALLOW: Decision = Object.freeze({ kind: 'allow' });
const LOGIN: Decision = Object.freeze({ kind: 'login' });
const VERIFY: Decision = Object.freeze({ kind: 'verify' });
const SETUP: Decision = Object.freeze({ kind: 'setup' });
const FORBIDDEN_DENY: Decision = Object.freeze({ kind: 'forbidden', reason: 'deny' });
const FORBIDDEN_GROUPS: Decision = Object.freeze({ kind: 'forbidden', reason: 'groups' });

/**
 * What to do with a request. `enforce` is `two_factor.enforce`: a logged-in
 * user without a device must enrol before reaching any path that needs a login.
 */
export function decide(matched: MatchedRule, subject: Subject, enforce: boolean): Decision {
  const requirement = matched.requirement;
  if (requirement === 'deny') return FORBIDDEN_DENY;
  if (requirement === 'public') return ALLOW;

  if (subject.kind === 'anonymous') return LOGIN;
  const groups = matched.rule?.groups ?? null;
  // A user outside the rule's groups gets 403 whatever their second factor:
  // verifying would not let them in, so they are not sent to /verify.
  if (groups !== null && !groups.some((g) => subject.groups.includes(g))) return FORBIDDEN_GROUPS;
  if (enforce && !subject.hasDevice) return SETUP;

  switch (requirement) {
    case 'login':
      return ALLOW;
    case 'otp':
      if (subject.verified) return ALLOW;
      return subject.hasDevice ? VERIFY : SETUP;
    case 'otp_if_configured':
      return subject.verified || !subject.hasDevice ? ALLOW : VERIFY;
  }
}
