// Path prefixes in the config (protect rules, login paths, the gateway path)
// must already be in the canonical form request paths are reduced to before
// matching; a prefix in any other form could never match, or would match
// something other than what it says.
import { InvalidValue } from './invalid-value.ts';

// Characters a canonical path keeps as they are: RFC 3986 unreserved and
// sub-delimiters, ":", "@" and "/", but not ";" (a parameter separator).
const CANONICAL_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,=:@/]*$/;

function reasonNotCanonical(text: string): string | null {
  if (!text.startsWith('/')) return 'must start with "/"';
  if (/[\s\p{Cc}]/u.test(text)) return 'contains whitespace or a control character';
  if (text.includes('%')) return 'contains "%": write the path decoded, as requests are matched after decoding';
  if (text.includes('\\')) return 'contains a backslash';
  if (text.includes(';')) return 'contains ";" (request paths are matched without ;parameters)';
  if (text.includes('?')) return 'contains "?" (rules match the path only, never the query)';
  if (text.includes('#')) return 'contains "#"';
  if (!CANONICAL_CHARS.test(text)) {
    return "contains a character other than letters, digits and -._~!$&'()*+,=:@/";
  }
  if (text.includes('//')) return 'contains "//" (an empty segment)';
  const segments = text.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) return 'contains a "." or ".." segment';
  return null;
}

/**
 * The stored form of a configured path: checked canonical, lower-cased
 * (matching is case-insensitive) and without a trailing slash ("/admin/" ->
 * "/admin"; "/" stays "/").
 */
export function canonicalPrefix(text: string): string {
  const reason = reasonNotCanonical(text);
  if (reason !== null) throw new InvalidValue(`${JSON.stringify(text)} is not a canonical path: it ${reason}`);
  const lower = text.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/** True when `path` is `prefix` or lies under it, segment-wise ("/admin" covers "/admin/x", not "/administrator"). */
export function isUnderPrefix(path: string, prefix: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}
