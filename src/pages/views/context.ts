// What every page needs to know about the gateway and the request, plus the
// small sanitisers that keep configuration and request values from breaking
// out of the places they are put.

export interface PageContext {
  /** gateway.title: shown in the header and the document title. */
  title: string;
  /** gateway.path, e.g. "/_otpgate" (no trailing slash). */
  basePath: string;
  /** gateway.accent_color; anything but #rgb/#rrggbb falls back to the default. */
  accentColor: string;
  /** URL of a logo served by the gateway itself (CSP allows only 'self' and data: images). */
  logoUrl: string | null;
  /** The CSP nonce of this response, for the inline <style> and <script>. */
  nonce: string;
  /** The CSRF token every form carries as `_csrf`. */
  csrfToken: string;
}

export const DEFAULT_ACCENT = '#2563eb';
const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/**
 * The accent colour goes inside the <style> element, so only a plain hex
 * colour is let through: anything else could close the rule or the element.
 */
export function sanitizeAccent(colour: string): string {
  return HEX_COLOUR.test(colour) ? colour.toLowerCase() : DEFAULT_ACCENT;
}

/** Black or white, whichever reads better on the given (sanitised) hex colour. */
export function textColourOn(hex: string): '#000000' | '#ffffff' {
  const digits = hex.slice(1);
  const full = digits.length === 3 ? [...digits].map((d) => d + d).join('') : digits;
  const channel = (i: number): number => {
    const c = parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
  // Contrast against white is (1.05)/(L+0.05), against black (L+0.05)/0.05; pick the larger.
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? '#ffffff' : '#000000';
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * `next` is validated by the routes; this second check only guards the places
 * a view turns it into a link, so a mistake upstream cannot become an open
 * redirect or a `javascript:` URL.
 */
export function localPathOr(next: string, fallback: string): string {
  const isLocal =
    next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') && !hasControlCharacter(next);
  return isLocal ? next : fallback;
}

/** The gateway's own routes, as the views link and post to them. */
export interface PagePaths {
  login: string;
  verify: string;
  setup: string;
  account: string;
  backupCodes: string;
  disable: string;
  logout: string;
  /** Ends every session of the user (the account page's "Sign out everywhere"). */
  logoutEverywhere: string;
  /** Invalidates every remembered browser of the user. */
  forgetBrowsers: string;
}

export function pagePaths(basePath: string): PagePaths {
  return {
    login: `${basePath}/login`,
    verify: `${basePath}/verify`,
    setup: `${basePath}/setup`,
    account: `${basePath}/account`,
    backupCodes: `${basePath}/backup-codes`,
    disable: `${basePath}/disable`,
    logout: `${basePath}/logout`,
    logoutEverywhere: `${basePath}/logout-everywhere`,
    forgetBrowsers: `${basePath}/forget-browsers`,
  };
}

/** Adds `next` to a gateway URL unless it is the default destination. */
export function withNext(url: string, next: string | null | undefined, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  if (next && next !== '/') params.set('next', next);
  const query = params.toString();
  return query ? `${url}?${query}` : url;
}
