// Which `protect:` rule applies to a request. Rules are compiled once at
// start-up; matching runs on every proxied request, so it walks the path by
// index, builds no regex and allocates nothing.
//
// Matching is segment-aware and case-insensitive: prefix "/admin" covers
// "/admin", "/ADMIN/x" and "/admin;x/y" but not "/administrator". Path
// parameters are removed from every segment and segments left empty are
// dropped ("/;x/admin" is "/admin" to Tomcat). Rules never see the query.
//
// Trailing dots and spaces ("/admin.", "/admin..", "/admin%20/"): most servers
// read "admin." as its own name, but Windows file systems (IIS) and routers
// that trim path tokens read it as "admin". Picking either reading lets an
// attacker pick the other, so the path is matched both ways; when the two
// readings land on rules with different requirements, nothing legitimate is
// being asked for and the request is denied (AMBIGUOUS_MATCH).
import type { ProtectRule, Requirement } from '../config/types.ts';
import { SegmentCursor, isLenientSensitive, segmentBounds, segmentEquals } from './segments.ts';
import type { MatchedRule } from './types.ts';

export interface RuleMatcher {
  /** `path` is canonical (see ./canonical.ts); `method` is an upper-case token. */
  match(path: string, method: string): MatchedRule;
}

/** Returned when the literal and lenient readings of a path disagree: 403 for everyone. */
export const AMBIGUOUS_MATCH: MatchedRule = Object.freeze({ requirement: 'deny', rule: null });

interface CompiledRule {
  /** Returned as is, so a match allocates nothing. */
  readonly matched: MatchedRule;
  readonly methods: ReadonlySet<string> | null;
  readonly prefix: string;
  readonly literalBounds: Int32Array;
  readonly lenientBounds: Int32Array;
}

/**
 * The methods a rule applies to. Most frameworks answer HEAD with their GET
 * handler (running it, and its side effects), so a rule for GET covers HEAD.
 */
function methodSet(methods: readonly string[]): ReadonlySet<string> {
  const set = new Set(methods.map((m) => m.toUpperCase()));
  if (set.has('GET')) set.add('HEAD');
  return set;
}

function compileRule(rule: ProtectRule): CompiledRule {
  if (!rule.prefix.startsWith('/')) {
    throw new Error(`protect[${rule.index}].prefix must start with "/": ${JSON.stringify(rule.prefix)}`);
  }
  return {
    matched: Object.freeze({ requirement: rule.require, rule }),
    methods: rule.methods === null ? null : methodSet(rule.methods),
    prefix: rule.prefix,
    literalBounds: segmentBounds(rule.prefix, false),
    lenientBounds: segmentBounds(rule.prefix, true),
  };
}

function sameGroups(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  return a.every((g) => b.includes(g));
}

/** Two matches that would decide every request the same way. */
function equivalent(a: MatchedRule, b: MatchedRule): boolean {
  return a === b || (a.requirement === b.requirement && sameGroups(a.rule?.groups ?? null, b.rule?.groups ?? null));
}

export function compileRules(rules: ProtectRule[], defaultRequirement: Requirement): RuleMatcher {
  const compiled = rules.map(compileRule);
  const fallback: MatchedRule = Object.freeze({ requirement: defaultRequirement, rule: null });
  let depth = 0;
  for (const rule of compiled) {
    depth = Math.max(depth, rule.literalBounds.length / 2, rule.lenientBounds.length / 2);
  }
  // Scratch space reused by every call: matching is synchronous, so calls never overlap.
  const cursor = new SegmentCursor();
  const literalBuffer = new Int32Array(depth * 2);
  const lenientBuffer = new Int32Array(depth * 2);

  /** Fills `buffer` with the first `depth` segments of `path`; returns how many there are. */
  function collect(path: string, lenient: boolean, buffer: Int32Array): number {
    cursor.reset(path, lenient);
    let count = 0;
    while (count < depth && cursor.next()) {
      buffer[2 * count] = cursor.start;
      buffer[2 * count + 1] = cursor.end;
      count++;
    }
    return count;
  }

  function firstMatch(path: string, method: string, buffer: Int32Array, count: number, lenient: boolean): MatchedRule {
    for (const rule of compiled) {
      if (rule.methods !== null && !rule.methods.has(method)) continue;
      const bounds = lenient ? rule.lenientBounds : rule.literalBounds;
      if (bounds.length > 2 * count) continue;
      let k = 0;
      while (
        k < bounds.length &&
        segmentEquals(path, buffer[k]!, buffer[k + 1]!, rule.prefix, bounds[k]!, bounds[k + 1]!)
      ) {
        k += 2;
      }
      if (k === bounds.length) return rule.matched;
    }
    return fallback;
  }

  function needsLenientReading(path: string, count: number): boolean {
    for (let k = 0; k < 2 * count; k += 2) {
      if (isLenientSensitive(path, literalBuffer[k]!, literalBuffer[k + 1]!)) return true;
    }
    return false;
  }

  return {
    match(path: string, method: string): MatchedRule {
      const count = collect(path, false, literalBuffer);
      const literal = firstMatch(path, method, literalBuffer, count, false);
      // Only the first `depth` segments can affect a match, so if none of them
      // reads differently leniently, the lenient reading matches the same rule.
      if (!needsLenientReading(path, count)) return literal;
      const lenientCount = collect(path, true, lenientBuffer);
      const lenient = firstMatch(path, method, lenientBuffer, lenientCount, true);
      return equivalent(literal, lenient) ? literal : AMBIGUOUS_MATCH;
    },
  };
}

// Reused by every isUnderPrefix call: it is synchronous, so calls never overlap.
const pathCursor = new SegmentCursor();
const prefixCursor = new SegmentCursor();

function startsWithSegments(path: string, prefix: string, lenient: boolean): boolean {
  const p = pathCursor.reset(path, lenient);
  const q = prefixCursor.reset(prefix, lenient);
  while (q.next()) {
    if (!p.next() || !segmentEquals(path, p.start, p.end, prefix, q.start, q.end)) return false;
  }
  return true;
}

/**
 * Whether canonical `path` lies under `prefix` (e.g. the gateway's own path or
 * an upstream login path), with the rules' semantics. True when either
 * reading of the path is under it: callers use this to keep a path away from
 * the upstream, so the wider answer is the safe one.
 */
export function isUnderPrefix(path: string, prefix: string): boolean {
  return startsWithSegments(path, prefix, false) || startsWithSegments(path, prefix, true);
}
