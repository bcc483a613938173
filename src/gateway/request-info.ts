// What the pipeline learned about a request before handing it on (to the
// gateway's pages or to the upstream): attached to the raw request once, so
// the pages see the same client address and canonical path the policy saw.
import type { IncomingMessage } from 'node:http';

export interface RequestInfo {
  /** Client address as resolved with server.trusted_proxies. */
  ip: string;
  /** X-Forwarded-For to send upstream. */
  forwardedFor: string;
  proto: 'http' | 'https';
  /** Host the client asked for (Host header), used for X-Forwarded-Host and same-origin checks. */
  host: string;
  /** Canonical path (see src/policy/canonical.ts). */
  path: string;
  /** Raw query string including "?", or "". */
  query: string;
}

const kInfo = Symbol('otpgate.requestInfo');

type WithInfo = IncomingMessage & { [kInfo]?: RequestInfo };

export function setRequestInfo(req: IncomingMessage, info: RequestInfo): void {
  (req as WithInfo)[kInfo] = info;
}

export function getRequestInfo(req: IncomingMessage): RequestInfo {
  const info = (req as WithInfo)[kInfo];
  if (!info) throw new Error('request did not pass through the gateway pipeline');
  return info;
}
