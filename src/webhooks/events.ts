// What a webhook says. Events carry who, with which device, and from where —
// never a password, a code or a secret: buildEvent copies only the fields
// named here, so a caller that passes a richer object cannot leak the rest.
import { randomBytes } from 'node:crypto';

/** The event types an endpoint can subscribe to (`webhooks[].events`). */
export const SUBSCRIBABLE_EVENTS = [
  'user.verified',
  'user.login_failed',
  'user.otp_failed',
  'user.locked_out',
  'device.enrolled',
  'device.removed',
  'backup_codes.regenerated',
] as const;

/** Every type sent; `ping` only by `otpgate webhooks test`. */
export const EVENT_TYPES = [...SUBSCRIBABLE_EVENTS, 'ping'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type DeviceType = 'totp' | 'backup' | 'remembered';

export interface EventData {
  user: { username: string; email: string | null };
  device?: { name: string; type: DeviceType };
  request: { ip: string; user_agent: string; path: string; site: string };
  reason?: string;
}

export interface WebhookEvent {
  /** Sent as `webhook-id`; the same on every retry, so receivers can de-duplicate. */
  id: string;
  type: EventType;
  /** ISO 8601, when the event happened (not when it was delivered). */
  timestamp: string;
  data: EventData;
}

// Client-controlled strings end up in every receiver's logs; keep them bounded.
const MAX_FIELD = 1024;

function bounded(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value ?? '');
  return text.length > MAX_FIELD ? text.slice(0, MAX_FIELD) : text;
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

export function newEventId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

export function buildEvent(type: EventType, data: EventData, now: Date): WebhookEvent {
  const clean: EventData = {
    user: {
      username: bounded(data.user.username),
      email: data.user.email == null ? null : bounded(data.user.email),
    },
    request: {
      ip: bounded(data.request.ip),
      user_agent: bounded(data.request.user_agent),
      path: bounded(data.request.path),
      site: bounded(data.request.site),
    },
  };
  if (data.device) clean.device = { name: bounded(data.device.name), type: data.device.type };
  if (data.reason !== undefined) clean.reason = bounded(data.reason);
  return { id: newEventId(), type, timestamp: now.toISOString(), data: clean };
}

/**
 * The JSON body POSTed to receivers: `{type, timestamp, data}` as in the
 * Standard Webhooks payload shape. The id travels in the `webhook-id` header.
 */
export function eventBody(event: WebhookEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}
