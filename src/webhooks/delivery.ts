// A queued delivery as kept in the store: one event body for one endpoint.
import type { EventType } from './events.ts';
import { isEventType } from './events.ts';

/** Sorted set of deliveries waiting (or leased), scored by due time. */
export const DUE_KEY = 'webhook:due';
/** Sorted set of deliveries that used up their attempts, scored by when they failed. */
export const DEAD_KEY = 'webhook:dead';
export const deliveryKey = (deliveryId: string): string => `webhook:delivery:${deliveryId}`;

// Records expire on their own so a crash between two store writes cannot leave
// garbage forever; this is well past the longest retry schedule.
export const DELIVERY_TTL_MS = 30 * 24 * 3_600_000;

export interface DeliveryRecord {
  eventId: string;
  type: EventType;
  /** The exact JSON text that is signed and sent, identical on every attempt. */
  body: string;
  /** Position of the endpoint in `webhooks:` when it was queued. */
  endpoint: number;
  /** The endpoint URL without credentials or query (see displayUrl). */
  url: string;
  attempts: number;
  createdAt: number;
  lastError: string | null;
  failedAt: number | null;
}

/**
 * An endpoint URL as stored, logged and shown: credentials and query strings
 * can carry tokens, so only origin and path are kept.
 */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

export function serializeDelivery(record: DeliveryRecord): string {
  return JSON.stringify(record);
}

/** Parses a stored record; null when it is not one (corrupt or foreign). */
export function parseDelivery(text: string): DeliveryRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  if (
    typeof r.eventId !== 'string' ||
    typeof r.type !== 'string' ||
    !isEventType(r.type) ||
    typeof r.body !== 'string' ||
    typeof r.endpoint !== 'number' ||
    typeof r.url !== 'string' ||
    typeof r.attempts !== 'number' ||
    typeof r.createdAt !== 'number'
  ) {
    return null;
  }
  return {
    eventId: r.eventId,
    type: r.type,
    body: r.body,
    endpoint: r.endpoint,
    url: r.url,
    attempts: r.attempts,
    createdAt: r.createdAt,
    lastError: typeof r.lastError === 'string' ? r.lastError : null,
    failedAt: typeof r.failedAt === 'number' ? r.failedAt : null,
  };
}
