// Standard Webhooks signatures: HMAC-SHA256 over "<id>.<timestamp>.<body>",
// keyed with the base64-decoded part of a `whsec_` secret.
import { createHmac } from 'node:crypto';

const WHSEC_PREFIX = 'whsec_';
// The Standard Webhooks spec asks for 24 to 64 random bytes; 16 is the floor
// the config loader also enforces, so both accept the same secrets.
const MIN_SECRET_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function signPayload(secret: Buffer, id: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${id}.${timestampSec}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers a receiver verifies, plus the content type. */
export function webhookHeaders(secret: Buffer, id: string, timestampSec: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signPayload(secret, id, timestampSec, body),
  };
}

/**
 * Decodes a `whsec_<base64>` secret. Throws a message fit for an operator
 * (without echoing the secret) when it is not one.
 */
export function parseWhsec(text: string): Buffer {
  const trimmed = text.trim();
  if (!trimmed.startsWith(WHSEC_PREFIX)) throw new Error('webhook secret must start with "whsec_"');
  const encoded = trimmed.slice(WHSEC_PREFIX.length);
  // Buffer.from(…, 'base64') silently skips junk; check the alphabet first.
  if (encoded.length % 4 === 1 || !BASE64.test(encoded)) {
    throw new Error('webhook secret is not valid base64 after "whsec_"');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES) {
    throw new Error(`webhook secret must decode to at least ${MIN_SECRET_BYTES} bytes (got ${key.length})`);
  }
  return key;
}
