// Shared set-up for the webhook tests: a real HTTP receiver, a Redis store
// under a key prefix of its own, and a logger that can be awaited.
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookEndpoint } from '../../src/config/types.ts';
import type { Logger } from '../../src/logger.ts';
import { RedisStore } from '../../src/store/redis.ts';
import type { EventData, EventType } from '../../src/webhooks/events.ts';

export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests through scripts/run-tests.mjs');
  return url;
}

export function uniquePrefix(): string {
  return `test-webhooks-${randomBytes(6).toString('hex')}:`;
}

/** A connected RedisStore; several calls with one prefix share one queue, like gateway instances. */
export async function redisStore(prefix: string, logger: Logger = recordingLogger()): Promise<RedisStore> {
  const store = new RedisStore({ url: redisUrl(), sentinels: null, name: null, cluster: null, keyPrefix: prefix }, logger);
  await store.whenReady();
  return store;
}

export interface Secret {
  key: Buffer;
  whsec: string;
}

export function newSecret(): Secret {
  const key = randomBytes(32);
  return { key, whsec: `whsec_${key.toString('base64')}` };
}

export function endpoint(url: string, secret: Secret, events: string[] = ['*']): WebhookEndpoint {
  return { url: new URL(url), secret: secret.key, events };
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  res: ServerResponse;
}

/** What the receiver does with a request; the default answers 204. */
export type Responder = (req: Received, index: number) => void;

export interface Receiver {
  url: string;
  requests: Received[];
  /** Resolves once `count` requests in all have arrived. */
  waitFor(count: number): Promise<Received[]>;
  respond: Responder;
  close(): Promise<void>;
}

export async function startReceiver(respond: Responder = (r) => r.res.writeHead(204).end()): Promise<Receiver> {
  const events = new EventEmitter();
  const requests: Received[] = [];
  const receiver: Receiver = {
    url: '',
    requests,
    respond,
    async waitFor(count) {
      while (requests.length < count) await once(events, 'request');
      return requests.slice(0, count);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: Received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), res };
      requests.push(received);
      receiver.respond(received, requests.length - 1);
      events.emit('request');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error' | 'debug';
  obj: object | string;
  msg: string | undefined;
}

export type RecordingLogger = Logger & {
  entries: LogEntry[];
  /** Resolves once `count` entries with this message have been logged. */
  waitFor(msg: string, count: number): Promise<void>;
};

export function recordingLogger(): RecordingLogger {
  const events = new EventEmitter();
  const entries: LogEntry[] = [];
  const record = (level: LogEntry['level']) => (obj: object | string, msg?: string) => {
    entries.push({ level, obj, msg });
    events.emit('log');
  };
  const countOf = (msg: string) => entries.filter((e) => e.msg === msg).length;
  return {
    entries,
    async waitFor(msg, count) {
      while (countOf(msg) < count) await once(events, 'log');
    },
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    debug: record('debug'),
  };
}

export function sampleData(overrides: Partial<EventData> = {}): EventData {
  return {
    user: { username: 'alice', email: 'alice@example.com' },
    request: { ip: '203.0.113.9', user_agent: 'Mozilla/5.0 (test)', path: '/admin/', site: 'app.example.com' },
    ...overrides,
  };
}

export const ALL_EVENT_TYPES: EventType[] = [
  'user.verified',
  'user.login_failed',
  'user.otp_failed',
  'user.locked_out',
  'device.enrolled',
  'device.removed',
  'backup_codes.regenerated',
  'ping',
];
