// `otpgate webhooks test|failed|retry`: try the configured receivers, and
// look after deliveries that used up their retries.
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.ts';
import type { Config, WebhookEndpoint } from '../config/types.ts';
import { silentLogger } from '../logger.ts';
import { createStore, waitForStore } from '../store/index.ts';
import { displayUrl } from '../webhooks/delivery.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import type { EventData } from '../webhooks/events.ts';
import { buildEvent, eventBody } from '../webhooks/events.ts';
import { sendWebhook } from '../webhooks/send.ts';
import type { CliIO, Command } from './io.ts';
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE } from './io.ts';

const USAGE = `usage:
  otpgate webhooks test --config FILE [--url URL]   send a signed "ping" to every endpoint (or to URL)
  otpgate webhooks failed --config FILE             list deliveries that used up their retries
  otpgate webhooks retry ID|--all --config FILE     queue failed deliveries again
`;

const TEST_TIMEOUT_MS = 10_000;
const SHOWN_BODY_BYTES = 2048;

class UsageError extends Error {}
class InputError extends Error {}

interface Parsed {
  sub: string;
  config: string;
  url: string | undefined;
  all: boolean;
  ids: string[];
}

export const webhooksCommand: Command = async (args, io) => {
  let parsed: Parsed;
  try {
    parsed = parse(args);
  } catch (err) {
    io.stderr.write(`otpgate webhooks: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    const config = await loadConfigFile(parsed.config, io.env);
    if (parsed.sub === 'test') return await runTest(config, parsed.url, io);
    return await withStore(config, async (dispatcher) => {
      if (parsed.sub === 'failed') return listFailed(dispatcher, io);
      return retry(dispatcher, parsed, io);
    });
  } catch (err) {
    io.stderr.write(`otpgate webhooks ${parsed.sub}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_BAD_INPUT;
  }
};

function parse(args: string[]): Parsed {
  const { values, positionals } = parseArgs({
    args,
    options: { config: { type: 'string' }, url: { type: 'string' }, all: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...ids] = positionals;
  if (sub !== 'test' && sub !== 'failed' && sub !== 'retry') throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand');
  if (!values.config) throw new UsageError('--config FILE is required');
  if (values.url !== undefined && sub !== 'test') throw new UsageError('--url applies to "webhooks test" only');
  if (values.all && sub !== 'retry') throw new UsageError('--all applies to "webhooks retry" only');
  if (sub === 'retry') {
    if (values.all ? ids.length !== 0 : ids.length !== 1) throw new UsageError('retry takes one delivery ID or --all');
  } else if (ids.length > 0) {
    throw new UsageError(`unexpected argument "${ids[0]}"`);
  }
  return { sub, config: values.config, url: values.url, all: values.all ?? false, ids };
}

async function runTest(config: Config, url: string | undefined, io: CliIO): Promise<number> {
  const targets = testTargets(config.webhooks, url);
  const site = config.server.publicUrl?.host ?? `${config.server.listen.host}:${config.server.listen.port}`;
  const data: EventData = {
    user: { username: 'otpgate', email: null },
    request: { ip: '127.0.0.1', user_agent: 'otpgate webhooks test', path: '/', site },
    reason: 'test delivery from "otpgate webhooks test"',
  };
  let failures = 0;
  for (const target of targets) {
    const event = buildEvent('ping', data, new Date());
    const outcome = await sendWebhook(target.url, target.secret, event.id, eventBody(event), {
      timeoutMs: TEST_TIMEOUT_MS,
      now: Date.now(),
      keepBodyBytes: SHOWN_BODY_BYTES,
    });
    const status = outcome.ok ? `${outcome.status} ok` : outcome.status === null ? `failed: ${outcome.error}` : `${outcome.error} (failed)`;
    io.stdout.write(`POST ${displayUrl(target.url)} -> ${status}\n`);
    if (outcome.body !== '') io.stdout.write(`${indent(outcome.body)}\n`);
    if (!outcome.ok) failures += 1;
  }
  if (failures > 0) io.stderr.write(`${failures} of ${targets.length} receivers did not accept the ping\n`);
  return failures > 0 ? EXIT_BAD_INPUT : EXIT_OK;
}

function testTargets(endpoints: WebhookEndpoint[], url: string | undefined): Array<{ url: URL; secret: Buffer }> {
  if (url === undefined) {
    if (endpoints.length === 0) throw new InputError('no webhooks are configured');
    return endpoints.map((e) => ({ url: e.url, secret: e.secret }));
  }
  const first = endpoints[0];
  if (!first) throw new InputError('--url signs with the secret of the first configured webhook, and none is configured');
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new InputError(`--url is not a URL: ${url}`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new InputError('--url must be http: or https:');
  return [{ url: target, secret: first.secret }];
}

async function withStore(config: Config, run: (dispatcher: WebhookDispatcher) => Promise<number>): Promise<number> {
  if (config.store.redis === null) {
    // The embedded store lives inside the gateway process; this process would see an empty one.
    throw new InputError('the in-memory store keeps its queue inside the gateway process; this needs store.redis');
  }
  const store = createStore(config.store, silentLogger);
  try {
    await waitForStore(store);
    return await run(new WebhookDispatcher(store, config.webhooks, { logger: silentLogger }));
  } finally {
    await store.close();
  }
}

async function listFailed(dispatcher: WebhookDispatcher, io: CliIO): Promise<number> {
  const failed = await dispatcher.listFailed();
  if (failed.length === 0) {
    io.stdout.write('no failed webhook deliveries\n');
    return EXIT_OK;
  }
  const rows = [
    ['ID', 'EVENT', 'URL', 'ATTEMPTS', 'FAILED AT', 'LAST ERROR'],
    ...failed.map((f) => [f.id, f.type, f.url, String(f.attempts), f.failedAt.toISOString(), f.lastError ?? '']),
  ];
  io.stdout.write(table(rows));
  return EXIT_OK;
}

async function retry(dispatcher: WebhookDispatcher, parsed: Parsed, io: CliIO): Promise<number> {
  const id = parsed.all ? 'all' : (parsed.ids[0] ?? '');
  const count = await dispatcher.retry(id);
  if (count === 0 && !parsed.all) throw new InputError(`no failed delivery with id "${id}" (see "otpgate webhooks failed")`);
  io.stdout.write(`queued ${count} ${count === 1 ? 'delivery' : 'deliveries'} again; a running gateway sends them shortly\n`);
  return EXIT_OK;
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}

function indent(text: string): string {
  return text
    .replace(/[^\P{Cc}\n\t]/gu, '?') // a receiver's body must not drive the operator's terminal
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
