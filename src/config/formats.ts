// Parsers for the string formats the config file uses (addresses, URLs,
// keys, names). Each returns the converted value or throws InvalidValue with
// a message saying what is accepted; none of them does I/O.
import { isIP, isIPv4 } from 'node:net';
import type { HostPort } from './types.ts';
import { InvalidValue } from './invalid-value.ts';

const quote = (text: string): string => JSON.stringify(text);

// RFC 9110 token: method names, header names and (RFC 6265) cookie names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * "host:port", "[v6]:port", or ":port" when `anyHost` is given (the listen
 * forms). The host comes back without brackets, as node:net expects it.
 */
export function parseHostPort(text: string, opts: { anyHost?: string; minPort: number }): HostPort {
  const example = opts.anyHost === undefined ? 'host:port' : '0.0.0.0:8080, [::1]:8080 or :8080';
  const bad = (why: string): InvalidValue =>
    new InvalidValue(`${quote(text)} ${why}: expected ${example} (quote an IPv6 address in YAML)`);

  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (bracketed !== null) {
    host = bracketed[1] ?? '';
    portText = bracketed[2] ?? '';
    if (isIP(host) !== 6) throw bad('has no valid IPv6 address in brackets');
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw bad('has no port');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host === '') {
      if (opts.anyHost === undefined) throw bad('has no host');
      host = opts.anyHost;
    } else if (host.includes(':')) {
      throw bad('is ambiguous');
    } else if (!isIPv4(host) && !HOSTNAME.test(host)) {
      throw bad('has an invalid host');
    }
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad('has no valid port');
  const port = Number(portText);
  if (port < opts.minPort || port > 65535) {
    throw bad(`has port ${port}, outside ${opts.minPort}..65535`);
  }
  return { host, port };
}

/** An absolute http(s) URL, without credentials or a fragment. */
export function parseHttpUrl(text: string, opts: { allowQuery: boolean }): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidValue(`${quote(text)} is not a URL: expected e.g. http://127.0.0.1:8000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidValue(`${quote(text)} must use http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidValue(`${quote(text)} must not carry a user name or password`);
  }
  if (url.hash !== '' || text.includes('#')) {
    throw new InvalidValue(`${quote(text)} must not have a #fragment`);
  }
  if (!opts.allowQuery && (url.search !== '' || text.includes('?'))) {
    throw new InvalidValue(`${quote(text)} must not have a ?query`);
  }
  return url;
}

/** The gateway's external origin: scheme, host and port only. */
export function parseOrigin(text: string): URL {
  const url = parseHttpUrl(text, { allowQuery: false });
  if (url.pathname !== '/') {
    throw new InvalidValue(`${quote(text)} must be an origin such as https://app.example.com, without a path`);
  }
  return url;
}

export function parseRedisUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidValue(`${quote(text)} is not a URL: expected e.g. redis://127.0.0.1:6379/0`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidValue(`${quote(text)} must use redis:// or rediss://`);
  }
  if (url.hostname === '') throw new InvalidValue(`${quote(text)} has no host`);
  return text;
}

/**
 * Strict base64 (standard alphabet, padding optional): Buffer.from() alone
 * skips characters it does not know, which would quietly shorten a key.
 */
export function decodeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const unpadded = text.replace(/=+$/, '');
  if (text.length !== unpadded.length && text.length % 4 !== 0) return null;
  const bytes = Buffer.from(unpadded, 'base64');
  // Re-encoding catches stray bits in the last character.
  return bytes.toString('base64').replace(/=+$/, '') === unpadded ? bytes : null;
}

const KEY_HELP = 'must be 32 random bytes, base64-encoded (openssl rand -base64 32)';

export function parseEncryptionKey(text: string): Buffer {
  const key = decodeBase64(text.trim());
  if (key === null) throw new InvalidValue(`${KEY_HELP}; this is not valid base64`);
  if (key.length !== 32) throw new InvalidValue(`${KEY_HELP}; this decodes to ${key.length} bytes`);
  if (key.every((byte) => byte === key[0])) throw new InvalidValue(`${KEY_HELP}; these bytes are all the same`);
  return key;
}

export const SESSION_SECRET_MIN = 32;

const WHSEC_MIN_BYTES = 16;

/** A Standard Webhooks secret "whsec_<base64>"; returns the decoded key. */
export function parseWebhookSecret(text: string): Buffer {
  const help = `must be "whsec_" followed by base64 of at least ${WHSEC_MIN_BYTES} random bytes`;
  if (!text.startsWith('whsec_')) throw new InvalidValue(`${help}; it does not start with "whsec_"`);
  const key = decodeBase64(text.slice('whsec_'.length));
  if (key === null) throw new InvalidValue(`${help}; the part after "whsec_" is not valid base64`);
  if (key.length < WHSEC_MIN_BYTES) throw new InvalidValue(`${help}; it decodes to ${key.length} bytes`);
  return key;
}

/** An IPv4/IPv6 address or CIDR block, as node:net's BlockList takes them. */
export function parseAddressOrCidr(text: string): string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 0) {
    throw new InvalidValue(`${quote(text)} is not an IP address or CIDR block (e.g. 10.0.0.0/8, fd00::/8, 192.0.2.7)`);
  }
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) {
      throw new InvalidValue(`${quote(text)} has an invalid prefix length: expected /0 to /${max}`);
    }
  }
  return text;
}

/** A CSS hex colour; only hex, because it is written into the pages' CSS. */
export function parseHexColour(text: string): string {
  if (!/^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/.test(text)) {
    throw new InvalidValue(`${quote(text)} is not a hex colour such as "#2563eb" (quote it in YAML)`);
  }
  return text.toLowerCase();
}

export function parseCookieName(text: string): string {
  if (!isToken(text)) throw new InvalidValue(`${quote(text)} is not a valid cookie name`);
  return text;
}
