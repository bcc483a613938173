// A webhook receiver for otpgate, in plain Node with no dependencies: copy it
// and replace `notify` with your mailer.
//
//   WEBHOOK_SECRET=whsec_... PORT=3000 node server.mjs
//
// It checks every request the way the Standard Webhooks specification asks:
// a valid signature (compared in constant time), a timestamp within five
// minutes, and a webhook-id it has not acted on before.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 256 * 1024;
// Ids are remembered a little longer than a timestamp stays acceptable; after
// that the timestamp check alone refuses a replay.
const REMEMBER_IDS_MS = 2 * TOLERANCE_SECONDS * 1000;
const MAX_REMEMBERED_IDS = 100_000;

/** Decodes "whsec_<base64>" into the HMAC key. */
export function decodeSecret(text) {
  if (typeof text !== 'string' || !text.startsWith('whsec_')) throw new Error('WEBHOOK_SECRET must start with "whsec_"');
  const key = Buffer.from(text.slice('whsec_'.length), 'base64');
  if (key.length < 16) throw new Error('WEBHOOK_SECRET is too short');
  return key;
}

/**
 * Checks the three webhook headers against the raw body. Returns null when the
 * request is authentic and fresh, else a reason.
 */
export function verifySignature(key, headers, body, nowMs) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return 'missing webhook headers';
  if (!/^\d{1,12}$/.test(timestamp)) return 'bad webhook-timestamp';

  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  // The header may carry several signatures (during a secret rotation); one match is enough.
  const matches = signatures.split(' ').some((entry) => {
    if (!entry.startsWith('v1,')) return false;
    const given = Buffer.from(entry.slice(3), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return 'bad signature';

  // Checked after the signature so an attacker learns nothing from the answer.
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return 'timestamp too old or too far in the future';
  return null;
}

/** The warning to send when someone verified with a backup code, or null for other events. */
export function backupCodeWarning(event) {
  if (event.type !== 'user.verified' || event.data?.device?.type !== 'backup') return null;
  const { user, request } = event.data;
  const site = request.site || 'your account';
  return {
    to: user.email,
    subject: `A backup code was used to sign in to ${site}`,
    text: [
      `Hello ${user.username},`,
      '',
      `You have just verified yourself on ${site} with one of your backup codes`,
      `(at ${event.timestamp}, from ${request.ip}, using ${request.user_agent || 'an unknown browser'}).`,
      '',
      'If that was you, there is nothing more to do, though each code works only',
      'once: generate a fresh set from your account page before you run out.',
      '',
      'If it was not you, treat your account as compromised. Change your password',
      'straight away, generate new backup codes (the old ones stop working), check',
      'which authenticator devices are enrolled and remove any you do not recognise,',
      'and tell your administrator.',
    ].join('\n'),
  };
}

/** Where a real receiver would send an email: this one prints it. */
function printEmail(message) {
  const to = message.to ?? '(no email address on file)';
  console.log(`--- email to ${to}\nSubject: ${message.subject}\n\n${message.text}\n---`);
}

/**
 * The request handler. `onEvent(event, id)` runs once per webhook-id for an
 * authentic event; `notify(message)` gets the backup-code warnings.
 */
export function createWebhookHandler({ secret, now = Date.now, onEvent = () => {}, notify = printEmail }) {
  const key = decodeSecret(secret);
  const seen = new Map(); // webhook-id -> when it may be forgotten

  function forgetOld(nowMs) {
    for (const [id, until] of seen) {
      if (until > nowMs && seen.size <= MAX_REMEMBERED_IDS) break; // insertion order: the rest are newer
      seen.delete(id);
    }
  }

  return function handle(req, res) {
    if (req.method !== 'POST') return answer(res, 405, 'POST only');
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        answer(res, 413, 'body too large');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', async () => {
      if (res.headersSent) return;
      const body = Buffer.concat(chunks).toString('utf8');
      const nowMs = now();
      const problem = verifySignature(key, req.headers, body, nowMs);
      if (problem) return answer(res, 401, problem);

      forgetOld(nowMs);
      const id = req.headers['webhook-id'];
      if (seen.has(id)) {
        // Already handled. Acknowledge so the sender stops retrying (its first
        // answer may have been lost), but do not act on it a second time.
        return answer(res, 200, 'duplicate webhook-id: already handled, ignored');
      }
      let event;
      try {
        event = JSON.parse(body);
      } catch {
        return answer(res, 400, 'body is not JSON');
      }
      seen.set(id, nowMs + REMEMBER_IDS_MS);
      try {
        await onEvent(event, id);
        const warning = backupCodeWarning(event);
        if (warning) await notify(warning);
      } catch (err) {
        // Let the sender retry: forget the id so the retry is handled.
        seen.delete(id);
        console.error(`handling ${id} failed:`, err);
        return answer(res, 500, 'handler failed');
      }
      res.writeHead(204).end();
    });
  };
}

function answer(res, status, message) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let handler;
  try {
    handler = createWebhookHandler({
      secret: process.env.WEBHOOK_SECRET,
      onEvent: (event, id) => console.log(`${event.timestamp} ${event.type} ${event.data?.user?.username ?? ''} (${id})`),
    });
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
  const server = createServer(handler);
  server.listen(Number(process.env.PORT ?? 3000), () => console.log(`webhook receiver listening on :${server.address().port}`));
}
