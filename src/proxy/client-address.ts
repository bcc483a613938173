// Who the client is, as far as the gateway can tell. Pure: the caller passes
// the socket's peer address and the two client-supplied headers.
//
// X-Forwarded-For is believed only from a trusted proxy. Then the chain is
// read from the right (nearest hop first) and the client is the first address
// that is not itself a trusted proxy: anything further left was written by
// the client and could be forged.
import { isIP } from 'node:net';
import { unmapIPv4 } from './trusted.ts';

export interface ClientAddress {
  /** The client's address (for throttling, logs and webhooks). */
  ip: string;
  /** The X-Forwarded-For value to send upstream. */
  forwardedFor: string;
  proto: 'http' | 'https';
}

/** "1.2.3.4", "1.2.3.4:80", "[::1]:80", "::1" -> the bare address, or null if it is not one. */
function parseHop(hop: string): string | null {
  let text = hop.trim();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) return null;
    text = text.slice(1, end);
  } else if (text.indexOf(':') !== -1 && text.indexOf(':') === text.lastIndexOf(':')) {
    // exactly one colon: IPv4 with a port
    text = text.slice(0, text.indexOf(':'));
  }
  text = unmapIPv4(text);
  return isIP(text) === 0 ? null : text;
}

function parseProto(value: string | undefined): 'http' | 'https' | null {
  if (value === undefined) return null;
  const comma = value.indexOf(',');
  // The left-most value is what the first proxy saw from the client.
  const first = (comma === -1 ? value : value.slice(0, comma)).trim().toLowerCase();
  return first === 'https' ? 'https' : first === 'http' ? 'http' : null;
}

/**
 * @param peer the socket's remote address
 * @param xff the X-Forwarded-For request header (Node joins repeated copies with ", ")
 * @param xfProto the X-Forwarded-Proto request header
 * @param isTrusted from compileTrustedProxies
 * @param socketEncrypted whether the client's connection to the gateway is TLS
 */
export function resolveClient(
  peer: string,
  xff: string | undefined,
  xfProto: string | undefined,
  isTrusted: (address: string) => boolean,
  socketEncrypted = false,
): ClientAddress {
  const peerIp = unmapIPv4(peer);
  const socketProto = socketEncrypted ? 'https' : 'http';
  if (!isTrusted(peerIp)) {
    return { ip: peerIp, forwardedFor: peerIp, proto: socketProto };
  }
  const received = xff === undefined ? '' : xff.trim();
  let ip = peerIp;
  if (received !== '') {
    const hops = received.split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseHop(hops[i] as string);
      // A hop that is not an address cannot be reasoned about: stop at the
      // last address we could read (the proxy that passed it on).
      if (hop === null) break;
      ip = hop;
      if (!isTrusted(hop)) break;
    }
  }
  return {
    ip,
    forwardedFor: received === '' ? peerIp : `${received}, ${peerIp}`,
    proto: parseProto(xfProto) ?? socketProto,
  };
}
