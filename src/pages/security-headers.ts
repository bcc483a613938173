// Response headers for every page the gateway renders itself.
import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce: 128 random bits, base64 (never reuse one across responses). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

// Only features a login page could be tricked into using; names Chromium
// does not know would log console warnings on every page.
const PERMISSIONS_POLICY = [
  'accelerometer=()',
  'autoplay=()',
  'camera=()',
  'display-capture=()',
  'geolocation=()',
  'gyroscope=()',
  'magnetometer=()',
  'microphone=()',
  'midi=()',
  'payment=()',
  'usb=()',
].join(', ');

/**
 * Strict headers for the gateway's pages. The CSP allows only the nonce'd
 * inline style and script, images from the gateway itself (the logo), and
 * form posts to this origin (Chromium also checks the redirect a form post
 * gets, so the routes answer a POST with a same-origin 303).
 *
 * Referrer-Policy is `same-origin` rather than `no-referrer`: with
 * `no-referrer` browsers send `Origin: null` on form posts, which defeats an
 * Origin check against cross-site posts; `same-origin` keeps the Origin and
 * still tells no other site which gateway page (with its `next`) linked there.
 */
export function securityHeaders(nonce: string): Record<string, string> {
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': PERMISSIONS_POLICY,
  };
}

/**
 * The same protections for gateway responses that are not pages (redirects,
 * health checks, metrics): nothing may be framed, sniffed or cached, and no
 * script or style may run.
 */
export function baselineSecurityHeaders(): Record<string, string> {
  return BASELINE;
}

const BASELINE: Record<string, string> = Object.freeze({
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
}) as Record<string, string>;
