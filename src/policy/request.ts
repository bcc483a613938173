// Small checks on the request line and headers that come before any matching.

/** An HTTP method token (RFC 9110 tchar) without lower-case letters. */
const UPPER_CASE_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Z]+$/;

/**
 * 'bad-request' (400) for a method that is not an upper-case token (`get`,
 * `Post`): upstreams differ on whether methods are case-sensitive, and a rule's
 * `methods:` filter must see the method the upstream acts on. 'not-allowed'
 * (405) for CONNECT (tunnels) and TRACE (echoes credentials back).
 */
export function checkMethod(method: string): 'ok' | 'bad-request' | 'not-allowed' {
  if (!UPPER_CASE_TOKEN.test(method)) return 'bad-request';
  if (method === 'CONNECT' || method === 'TRACE') return 'not-allowed';
  return 'ok';
}

/** Whether one `Accept` entry (`text/html;q=0.9`) names text/html with a non-zero weight. */
function acceptsHtmlEntry(entry: string): boolean {
  const parts = entry.split(';');
  if (parts[0]!.trim().toLowerCase() !== 'text/html') return false;
  for (let i = 1; i < parts.length; i++) {
    const [name, value] = parts[i]!.split('=');
    if (name?.trim().toLowerCase() === 'q' && value !== undefined && Number(value.trim()) === 0) return false;
  }
  return true;
}

/**
 * A browser navigating to a page (GET or HEAD accepting text/html): it gets a
 * redirect to the login page; anything else gets a 401/403 JSON answer.
 */
export function isBrowserNavigation(method: string, accept: string | undefined): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (accept === undefined || !accept.toLowerCase().includes('text/html')) return false;
  return accept.split(',').some(acceptsHtmlEntry);
}
