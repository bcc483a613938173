// The access policy: canonical path -> matching rule -> decision. Pure code.
export { canonicalizeTarget } from './canonical.ts';
export { AMBIGUOUS_MATCH, compileRules, isUnderPrefix } from './rules.ts';
export type { RuleMatcher } from './rules.ts';
export { decide } from './decide.ts';
export { checkMethod, isBrowserNavigation } from './request.ts';
export { safeNext } from './next.ts';
export type { CanonicalTarget, Decision, MatchedRule, Subject } from './types.ts';
