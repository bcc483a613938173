// The headers the upstream receives. This is where X-User-Verified and the
// other identity headers are set, after every client-sent copy (and every
// alias a server might merge with them) has been removed.
//
// Runs on every proxied request, so everything that depends only on the
// configuration is computed once in createHeaderPolicy.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Config } from '../config/types.ts';

export type DeviceKind = 'totp' | 'backup' | 'remembered';

export interface UpstreamIdentity {
  username: string;
  email: string | null;
  groups: string[];
  verified: boolean;
  device: DeviceKind | null;
}

export interface UpstreamContext {
  /** null for an anonymous request (or while the store is down). */
  identity: UpstreamIdentity | null;
  /** From resolveClient. */
  forwardedFor: string;
  proto: string;
  /** The Host the client asked for (sent on as X-Forwarded-Host). */
  host: string;
  /** A WebSocket upgrade: keeps Connection: upgrade / Upgrade: websocket. */
  upgrade: boolean;
}

export interface HeaderPolicy {
  /** Builds the upstream request headers from the client's `req.rawHeaders`. */
  upstreamHeaders(rawHeaders: string[], ctx: UpstreamContext): OutgoingHttpHeaders;
}

export interface HeaderPolicyOptions {
  names: Config['headers'];
  sessionCookie: string;
  /** Other gateway cookies that must not reach the upstream (e.g. remember-browser). */
  extraCookies: string[];
}

// What to do with a client header, by its normalised name.
const DROP = 1;
const COOKIE = 2;
const HOST = 3;
const CONNECTION = 4;
const TRANSFER_ENCODING = 5;
const CONTENT_LENGTH = 6;
type Action = typeof DROP | typeof COOKIE | typeof HOST | typeof CONNECTION | typeof TRANSFER_ENCODING | typeof CONTENT_LENGTH;

/** Headers some frameworks read as the request path: the path we checked must be the path served. */
const PATH_OVERRIDE = ['x-original-url', 'x-rewrite-url', 'x-forwarded-uri', 'x-forwarded-prefix'];

/**
 * Headers some frameworks read as the request method: the method a rule's
 * `methods:` filter checked must be the method the upstream acts on.
 */
const METHOD_OVERRIDE = ['x-http-method-override', 'x-http-method', 'x-method-override'];

/**
 * Statements about the connection that only the gateway may make. Beyond the
 * X-Forwarded-For/-Proto/-Host it sets, this drops the neighbours upstreams
 * also believe for the client address or scheme, so a client cannot forge them.
 */
const CONNECTION_FACTS = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-scheme',
  'x-forwarded-ssl',
  'x-forwarded-server',
  'x-real-ip',
];

/** Hop-by-hop headers (RFC 9110 7.6.1) plus Expect, which the gateway's own HTTP server has already answered. */
const HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'expect'];

/** Headers a client's Connection header may not remove: without them the upstream would misread the request. */
const NEVER_CONNECTION_NAMED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade']);

/** Lower-case, with `_` and `.` read as `-`: the name a merging server would see. */
export function normaliseHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.indexOf('_') === -1 && lower.indexOf('.') === -1 ? lower : lower.replace(/[_.]/g, '-');
}

/**
 * Identity values go into a header line: characters outside printable ASCII
 * (and `%`, so the encoding stays reversible and unambiguous) are
 * percent-encoded as UTF-8. Plain ASCII names pass unchanged.
 */
const NEEDS_ENCODING = /[^\x20-\x24\x26-\x7e]/;
export function headerSafe(value: string): string {
  if (!NEEDS_ENCODING.test(value)) return value;
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    out += code >= 0x20 && code <= 0x7e && ch !== '%' ? ch : percentEncode(ch);
  }
  return out;
}

function percentEncode(ch: string): string {
  try {
    return encodeURIComponent(ch);
  } catch {
    return '%EF%BF%BD'; // a lone surrogate: U+FFFD, as a UTF-8 decoder would read it
  }
}

export function createHeaderPolicy(opts: HeaderPolicyOptions): HeaderPolicy {
  const { names } = opts;
  const table = new Map<string, Action>();
  for (const name of [names.verified, names.user, names.email, names.groups, names.device]) {
    table.set(normaliseHeaderName(name), DROP);
  }
  for (const name of [...PATH_OVERRIDE, ...METHOD_OVERRIDE, ...CONNECTION_FACTS, ...HOP_BY_HOP]) table.set(name, DROP);
  table.set('cookie', COOKIE);
  table.set('host', HOST);
  table.set('connection', CONNECTION);
  table.set('transfer-encoding', TRANSFER_ENCODING);
  table.set('content-length', CONTENT_LENGTH);

  const gatewayCookies = new Set([opts.sessionCookie, ...opts.extraCookies]);
  const verifiedName = names.verified;
  const userName = names.user;
  const emailName = names.email;
  const groupsName = names.groups;
  const deviceName = names.device;

  /** Removes the gateway's cookies from one Cookie header value; '' when none are left. */
  function stripCookies(value: string): string {
    let kept = '';
    for (const pair of value.split(';')) {
      const eq = pair.indexOf('=');
      const name = (eq === -1 ? pair : pair.slice(0, eq)).trim();
      if (name === '' || gatewayCookies.has(name)) continue;
      kept = kept === '' ? pair.trim() : `${kept}; ${pair.trim()}`;
    }
    return kept;
  }

  /** Names listed in the Connection header(s), which are hop-by-hop for this request. */
  function connectionNamed(rawHeaders: string[]): Set<string> | null {
    let named: Set<string> | null = null;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      if ((rawHeaders[i] as string).length !== 10 || (rawHeaders[i] as string).toLowerCase() !== 'connection') continue;
      for (const token of (rawHeaders[i + 1] as string).split(',')) {
        const name = normaliseHeaderName(token.trim());
        if (name === '' || name === 'close' || name === 'keep-alive' || NEVER_CONNECTION_NAMED.has(name)) continue;
        (named ??= new Set()).add(name);
      }
    }
    return named;
  }

  return {
    upstreamHeaders(rawHeaders: string[], ctx: UpstreamContext): OutgoingHttpHeaders {
      // A null prototype: a client header named __proto__ is then just a name.
      const out: OutgoingHttpHeaders = Object.create(null) as OutgoingHttpHeaders;
      const named = connectionNamed(rawHeaders);
      let cookie = '';
      let chunked = false;
      let contentLength: string | undefined;
      let host: string | undefined;

      for (let i = 0; i < rawHeaders.length; i += 2) {
        const rawName = rawHeaders[i] as string;
        const value = rawHeaders[i + 1] as string;
        const lower = rawName.toLowerCase();
        let action = table.get(lower);
        let normalised = lower;
        if (action === undefined && (lower.indexOf('_') !== -1 || lower.indexOf('.') !== -1)) {
          normalised = lower.replace(/[_.]/g, '-');
          action = table.get(normalised);
          // An alias of a header the gateway interprets (Host_, Content.Length)
          // is not that header: only the exact spelling carries its meaning.
          if (action !== undefined && action !== DROP) action = DROP;
        }
        if (action === undefined) {
          if (named !== null && named.has(normalised)) continue;
          const previous = out[lower];
          if (previous === undefined) out[lower] = value;
          else if (Array.isArray(previous)) previous.push(value);
          else out[lower] = [previous as string, value];
          continue;
        }
        switch (action) {
          case DROP:
          case CONNECTION:
            break;
          case COOKIE: {
            const kept = stripCookies(value);
            if (kept !== '') cookie = cookie === '' ? kept : `${cookie}; ${kept}`;
            break;
          }
          case HOST:
            host ??= value; // the first copy, as the gateway's own parser reads it
            break;
          case TRANSFER_ENCODING:
            // The body arrives de-chunked from Node's parser and is re-chunked
            // on the way out; framing.ts has already refused anything but chunked.
            chunked = true;
            break;
          case CONTENT_LENGTH:
            contentLength ??= value;
            break;
        }
      }

      if (host !== undefined) out.host = host;
      if (chunked) out['transfer-encoding'] = 'chunked';
      else if (contentLength !== undefined) out['content-length'] = contentLength;
      if (cookie !== '') out.cookie = cookie;
      if (ctx.upgrade) {
        out.connection = 'upgrade';
        out.upgrade = 'websocket';
      }

      const identity = ctx.identity;
      out[verifiedName] = identity !== null && identity.verified ? 'true' : 'false';
      if (identity !== null) {
        out[userName] = headerSafe(identity.username);
        if (identity.email !== null && identity.email !== '') out[emailName] = headerSafe(identity.email);
        if (identity.groups.length > 0) out[groupsName] = headerSafe(identity.groups.join(','));
        if (identity.device !== null) out[deviceName] = identity.device;
      }
      out['x-forwarded-for'] = ctx.forwardedFor;
      out['x-forwarded-proto'] = ctx.proto;
      if (ctx.host !== '') out['x-forwarded-host'] = headerSafe(ctx.host);
      return out;
    },
  };
}
