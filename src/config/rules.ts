// Checks between protect rules, and between rules and the gateway path. The
// first matching rule wins, so a rule that an earlier one always beats is
// dead configuration: almost certainly not what its author meant.
import { isUnderPrefix } from './paths.ts';
import type { ProtectRule } from './types.ts';

const ruleName = (rule: ProtectRule): string => `protect[${rule.index}]`;

function methodsText(methods: readonly string[] | null): string {
  return methods === null ? 'all methods' : `methods ${methods.join(', ')}`;
}

function describe(rule: ProtectRule): string {
  return `${ruleName(rule)} (prefix ${JSON.stringify(rule.prefix)}, ${methodsText(rule.methods)})`;
}

/** True when every method `later` applies to is one `earlier` applies to too. */
function coversMethods(earlier: ProtectRule, later: ProtectRule): boolean {
  if (earlier.methods === null) return true;
  if (later.methods === null) return false;
  return later.methods.every((method) => earlier.methods?.includes(method));
}

function sameMethods(a: ProtectRule, b: ProtectRule): boolean {
  if (a.methods === null || b.methods === null) return a.methods === b.methods;
  return a.methods.length === b.methods.length && coversMethods(a, b);
}

/** Problems for rules that duplicate, or are shadowed by, an earlier rule (one problem per such rule). */
export function ruleOrderProblems(rules: readonly ProtectRule[]): string[] {
  const problems: string[] = [];
  rules.forEach((later, position) => {
    const winner = rules
      .slice(0, position)
      .find((earlier) => isUnderPrefix(later.prefix, earlier.prefix) && coversMethods(earlier, later));
    if (winner === undefined) return;
    if (winner.prefix === later.prefix && sameMethods(winner, later)) {
      problems.push(`${ruleName(later)}: duplicates ${describe(winner)}; remove one of them`);
    } else {
      problems.push(
        `${ruleName(later)}: can never match (prefix ${JSON.stringify(later.prefix)}, ${methodsText(later.methods)}): ` +
          `${describe(winner)} comes first and matches every request it would; the first matching rule wins, ` +
          'so move the narrower rule above the wider one',
      );
    }
  });
  return problems;
}

/** Problems for rules that lie under the gateway's own path, which is never proxied. */
export function gatewayPathProblems(rules: readonly ProtectRule[], gatewayPath: string): string[] {
  return rules
    .filter((rule) => isUnderPrefix(rule.prefix, gatewayPath))
    .map(
      (rule) =>
        `${ruleName(rule)}.prefix: ${JSON.stringify(rule.prefix)} lies under gateway.path ` +
        `${JSON.stringify(gatewayPath)}, whose pages are never proxied, so this rule can never match`,
    );
}
