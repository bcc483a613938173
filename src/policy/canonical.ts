// The request target, reduced to the one canonical path that is both matched
// against the rules and forwarded upstream. Anything that two reasonable
// servers could read as two different paths is refused instead of guessed at:
// a request that cannot be canonicalised is answered 400 and never forwarded.
import type { CanonicalTarget } from './types.ts';

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const HASH = 0x23;
const QUESTION = 0x3f;
const DOT = 0x2e;
const SPACE = 0x20;
const DEL = 0x7f;

const HEX_DIGITS = '0123456789ABCDEF';

// Percent-encoded non-ASCII bytes must spell valid UTF-8. The WHATWG decoder in
// fatal mode refuses overlong forms, surrogates, code points above U+10FFFF and
// truncated sequences; the lead-byte check below refuses the overlong leads
// again so the guarantee does not rest on one implementation alone.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

type Rejection = { readonly ok: false; readonly reason: string };

function rejection(reason: string): Rejection {
  return Object.freeze({ ok: false as const, reason });
}

const REJECT = {
  target: rejection('unsupported request target'),
  query: rejection('invalid character in the query string'),
  rawHash: rejection('raw "#" in the request target'),
  rawBackslash: rejection('backslash in the path'),
  rawControl: rejection('control character or space in the request target'),
  rawNonAscii: rejection('raw non-ASCII character in the request target'),
  badPercent: rejection('invalid percent-encoding'),
  encodedSlash: rejection('encoded "/" in the path'),
  encodedBackslash: rejection('encoded "\\" in the path'),
  encodedNul: rejection('encoded NUL in the path'),
  encodedControl: rejection('encoded control character in the path'),
  badUtf8: rejection('percent-encoded bytes are not valid UTF-8'),
  aboveRoot: rejection('".." above the root'),
  ambiguousDots: rejection('ambiguous dot segment'),
} as const;

/** 1 for RFC 3986 unreserved characters (ALPHA DIGIT - . _ ~), decoded when percent-encoded. */
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) UNRESERVED[c] = 1;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** The byte a "%XY" at `at` stands for, or -1 when it is not a valid escape. */
function escapedByte(text: string, at: number, end: number): number {
  if (at + 2 >= end) return -1;
  const hi = hexValue(text.charCodeAt(at + 1));
  const lo = hexValue(text.charCodeAt(at + 2));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

function encodeByte(b: number): string {
  return '%' + HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15];
}

/** Why a raw (unencoded) path character is refused, or null when it may stand. */
function rawCharProblem(c: number): Rejection | null {
  if (c <= SPACE || c === DEL) return REJECT.rawControl;
  if (c > DEL) return REJECT.rawNonAscii;
  if (c === HASH) return REJECT.rawHash;
  if (c === BACKSLASH) return REJECT.rawBackslash;
  return null;
}

/**
 * Decodes one path segment `text[start, end)`: unreserved characters are decoded
 * once, every other escape is kept with upper-case hex, and anything ambiguous
 * is refused.
 */
function canonicalSegment(text: string, start: number, end: number): string | Rejection {
  let out = '';
  let copied = start; // text[copied, i) is still to be appended verbatim
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c !== PERCENT) {
      const problem = rawCharProblem(c);
      if (problem) return problem;
      i++;
      continue;
    }
    const b = escapedByte(text, i, end);
    if (b < 0) return REJECT.badPercent;
    out += text.slice(copied, i);
    if (b < 0x80) {
      if (b === SLASH) return REJECT.encodedSlash;
      if (b === BACKSLASH) return REJECT.encodedBackslash;
      if (b === 0) return REJECT.encodedNul;
      // Decoded control characters are trimmed or treated as whitespace by
      // some routers, and no browser sends them: there is no safe reading.
      if (b < SPACE || b === DEL) return REJECT.encodedControl;
      out += UNRESERVED[b] ? String.fromCharCode(b) : encodeByte(b);
      i += 3;
    } else {
      const run = utf8Run(text, i, end);
      if (typeof run !== 'string') return run;
      out += run;
      i += run.length;
    }
    copied = i;
  }
  return copied === start ? text.slice(start, end) : out + text.slice(copied, end);
}

/** Reused by utf8Run (canonicalisation is synchronous); grown for longer runs. */
let utf8Scratch = new Uint8Array(64);

/**
 * Reads the run of consecutive escapes of non-ASCII bytes starting at `at`,
 * checks that it is complete, valid UTF-8, and returns it with upper-case hex
 * (the same length as the run in the input).
 */
function utf8Run(text: string, at: number, end: number): string | Rejection {
  let count = 0;
  let i = at;
  while (i < end && text.charCodeAt(i) === PERCENT) {
    const b = escapedByte(text, i, end);
    if (b < 0) return REJECT.badPercent;
    if (b < 0x80) break;
    // 0xC0 and 0xC1 only start overlong two-byte forms; 0xF5-0xFF never appear in UTF-8.
    if (b === 0xc0 || b === 0xc1 || b >= 0xf5) return REJECT.badUtf8;
    if (count === utf8Scratch.length) {
      const bigger = new Uint8Array(count * 2);
      bigger.set(utf8Scratch);
      utf8Scratch = bigger;
    }
    utf8Scratch[count++] = b;
    i += 3;
  }
  try {
    strictUtf8.decode(utf8Scratch.subarray(0, count));
  } catch {
    return REJECT.badUtf8;
  }
  // Only "%" and hex digits: upper-casing normalises the hex.
  return text.slice(at, i).toUpperCase();
}

type SegmentKind = 'name' | 'dot' | 'dotdot' | 'ambiguous';

/**
 * Classifies a decoded segment. A dot segment may carry parameters (`..;x`),
 * as servers that strip parameters before resolving dots read it that way.
 * Segments that only *look* like dot segments to some servers are refused:
 * `..%3Bx` (a server decoding before it strips parameters sees `..;x`) and
 * runs of dots and spaces such as `...` or `..%20` (Windows drops trailing dots
 * and spaces, turning them into `..`-like names).
 */
function segmentKind(segment: string): SegmentKind {
  if (segment.charCodeAt(0) !== DOT) return 'name';
  const semi = segment.indexOf(';');
  const name = semi < 0 ? segment : segment.slice(0, semi);
  if (name === '.') return 'dot';
  if (name === '..') return 'dotdot';
  if (/^\.{1,2}%3B/.test(name)) return 'ambiguous';
  if (/^(?:\.|%20)+$/.test(name)) return 'ambiguous';
  return 'name';
}

/**
 * An already canonical, valid path: plain characters only, no escapes, no empty
 * segment before the end, no segment starting with a dot. Most real requests
 * match and are returned without copying; the regex engine scans faster than a
 * JavaScript loop. Allowed: printable ASCII except "/" (separator), "%", "#", "\".
 */
const PLAIN_CANONICAL_PATH = /^(?:\/(?!\.)[!"$&-.0-[\]-~]+)*\/?$/;

/** Canonicalises an origin-form path (starting with "/", without the query). */
function canonicalPath(path: string): string | Rejection {
  if (PLAIN_CANONICAL_PATH.test(path)) return path;
  const segments: string[] = [];
  let endsWithSlash = false;
  let start = 1;
  for (;;) {
    let end = path.indexOf('/', start);
    if (end < 0) end = path.length;
    if (end === start) {
      endsWithSlash = true; // empty segment: repeated slashes collapse
    } else {
      const segment = canonicalSegment(path, start, end);
      if (typeof segment !== 'string') return segment;
      switch (segmentKind(segment)) {
        case 'name':
          segments.push(segment);
          endsWithSlash = false;
          break;
        case 'dot':
          endsWithSlash = true;
          break;
        case 'dotdot':
          if (segments.length === 0) return REJECT.aboveRoot;
          segments.pop();
          endsWithSlash = true;
          break;
        case 'ambiguous':
          return REJECT.ambiguousDots;
      }
    }
    if (end >= path.length) break;
    start = end + 1;
  }
  if (segments.length === 0) return '/';
  return '/' + segments.join('/') + (endsWithSlash ? '/' : '');
}

/** The query must be printable ASCII without "#"; it is kept raw and never matched. */
const VALID_QUERY = /^[!"$-~]*$/;

/** Where the path of an absolute-form target (`http://host/path`) starts, or -1. */
function absoluteFormPathStart(target: string): number {
  const scheme = /^https?:\/\//i.exec(target);
  if (!scheme) return -1;
  let i = scheme[0].length;
  for (; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === SLASH || c === QUESTION) return i;
    // The host is ignored, but it is still part of the request target.
    if (c <= SPACE || c >= DEL || c === HASH || c === BACKSLASH) return -1;
  }
  return i;
}

/**
 * Canonicalises a raw request target as Node gives it in `req.url`:
 * origin-form (`/a/b?q`) or absolute-form (`http://host/a/b?q`, host ignored).
 * The result's `path` is what rules are matched against and what is forwarded;
 * `query` is kept raw. Canonicalising a canonical path returns it unchanged.
 */
export function canonicalizeTarget(target: string): CanonicalTarget {
  let pathStart = 0;
  if (target.charCodeAt(0) !== SLASH) {
    pathStart = absoluteFormPathStart(target);
    if (pathStart < 0) return REJECT.target;
  }
  let queryStart = target.indexOf('?', pathStart);
  if (queryStart < 0) queryStart = target.length;
  const query = target.slice(queryStart);
  if (!VALID_QUERY.test(query)) return query.includes('#') ? REJECT.rawHash : REJECT.query;

  // An absolute-form target with no path (`http://host?q`) asks for the root.
  const rawPath = pathStart === queryStart ? '/' : target.slice(pathStart, queryStart);
  const path = canonicalPath(rawPath);
  if (typeof path !== 'string') return path;
  return { ok: true, path, query };
}
