// One signed POST to one receiver, and what came of it. No retries here:
// the dispatcher decides what a failure means.
import { webhookHeaders } from './sign.ts';

export type SendOutcome =
  | { ok: true; status: number; body: string }
  | { ok: false; status: number | null; error: string; retryAfterMs: number | null; body: string };

export interface SendOptions {
  timeoutMs: number;
  /** Clock for the signature timestamp and for Retry-After dates. */
  now: number;
  /** Aborts the request early (the dispatcher stopping). */
  signal?: AbortSignal;
  /** How much of the response body to keep (the CLI prints it); 0 discards it. */
  keepBodyBytes?: number;
}

export async function sendWebhook(url: URL, secret: Buffer, id: string, body: string, opts: SendOptions): Promise<SendOutcome> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: webhookHeaders(secret, id, Math.floor(opts.now / 1000), body),
      body,
      // A redirect is not an acknowledgement, and following one could send a
      // signed event somewhere the operator never configured.
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    const error = timeout.aborted ? `timed out after ${opts.timeoutMs} ms` : describeFetchError(err);
    return { ok: false, status: null, error, retryAfterMs: null, body: '' };
  }
  const text = await readBody(response, opts.keepBodyBytes ?? 0);
  if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, body: text };
  return {
    ok: false,
    status: response.status,
    error: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), opts.now),
    body: text,
  };
}

/** Retry-After as delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // HTTP dates start with a day name; Date.parse alone would take "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici reports "fetch failed" and puts the useful part (ECONNREFUSED…) in `cause`.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

async function readBody(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  if (limit <= 0) {
    // Releases the connection without reading a body we would throw away.
    await response.body.cancel().catch(() => {});
    return '';
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut off mid-way is still worth showing.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
