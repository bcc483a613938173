// `otpgate webhooks test|failed|retry`, run in-process against real receivers and Redis.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { CliIO } from '../../src/cli/io.ts';
import { webhooksCommand } from '../../src/cli/webhooks.ts';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import type { Receiver } from './harness.ts';
import { endpoint, newSecret, recordingLogger, redisStore, redisUrl, sampleData, startReceiver, uniquePrefix } from './harness.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  const io: CliIO = { stdin: new PassThrough(), stdout, stderr, env };
  const code = await webhooksCommand(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('otpgate webhooks', () => {
  let dir = '';
  let good: Receiver;
  let bad: Receiver;
  const secretA = newSecret();
  const secretB = newSecret();
  const prefix = uniquePrefix();
  const env = {
    SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    HOOK_SECRET_A: secretA.whsec,
    HOOK_SECRET_B: secretB.whsec,
  };

  function writeConfig(name: string, webhooks: Array<{ url: string; secret: string; events?: string[] }>, redis = true): string {
    const lines = [
      'upstream:',
      '  url: http://127.0.0.1:8000',
      'secrets:',
      '  session: ${SESSION_SECRET}',
      '  encryption_key: ${ENCRYPTION_KEY}',
      ...(redis ? ['store:', '  redis:', `    url: ${redisUrl()}`, `    key_prefix: "${prefix}"`] : []),
      'webhooks:',
      ...webhooks.flatMap((w) => [`  - url: ${w.url}`, `    secret: ${w.secret}`, `    events: ${JSON.stringify(w.events ?? ['*'])}`]),
    ];
    const file = join(dir, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'otpgate-webhooks-cli-'));
    good = await startReceiver((r) => r.res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks, got it'));
    bad = await startReceiver((r) => r.res.writeHead(500).end('\u001b[31mboom'));
  });

  after(async () => {
    await Promise.all([good.close(), bad.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('test: sends a signed ping to every endpoint and prints each answer', async () => {
    const config = writeConfig('ok.yaml', [
      { url: `${good.url}/a?token=t0k3n`, secret: '${HOOK_SECRET_A}', events: ['user.verified'] },
      { url: `${good.url}/b`, secret: '${HOOK_SECRET_B}' },
    ]);
    const result = await run(['test', '--config', config], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`POST ${good.url}/a -> 200`));
    assert.match(result.stdout, new RegExp(`POST ${good.url}/b -> 200`));
    assert.match(result.stdout, /thanks, got it/);
    assert.ok(!result.stdout.includes('t0k3n'));
    const [a, b] = good.requests.slice(-2);
    assert.ok(a && b);
    const ping = new Webhook(secretA.whsec).verify(a.body, a.headers as Record<string, string>) as { type: string };
    assert.equal(ping.type, 'ping');
    new Webhook(secretB.whsec).verify(b.body, b.headers as Record<string, string>);
  });

  it('test: exits 1 when a receiver fails, and keeps its body off the terminal controls', async () => {
    const config = writeConfig('mixed.yaml', [
      { url: `${good.url}/`, secret: '${HOOK_SECRET_A}' },
      { url: `${bad.url}/`, secret: '${HOOK_SECRET_B}' },
    ]);
    const result = await run(['test', '--config', config], env);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /-> HTTP 500/);
    assert.match(result.stdout, /\?\[31mboom/);
    assert.ok(!result.stdout.includes('\u001b'));
    assert.match(result.stderr, /1 of 2/);
  });

  it('test --url: pings that URL with the first endpoint’s secret', async () => {
    const config = writeConfig('url.yaml', [{ url: `${bad.url}/`, secret: '${HOOK_SECRET_A}' }]);
    const result = await run(['test', '--config', config, '--url', `${good.url}/elsewhere`], env);
    assert.equal(result.code, 0, result.stderr);
    const last = good.requests.at(-1);
    assert.ok(last);
    assert.equal(last.path, '/elsewhere');
    new Webhook(secretA.whsec).verify(last.body, last.headers as Record<string, string>);
  });

  it('failed and retry: list dead deliveries and queue them again', async () => {
    let healthy = false;
    const flaky = await startReceiver((r) => r.res.writeHead(healthy ? 204 : 503).end());
    const store = await redisStore(prefix);
    try {
      const config = writeConfig('redis.yaml', [{ url: `${flaky.url}/hook`, secret: '${HOOK_SECRET_A}' }]);
      const endpoints = [endpoint(`${flaky.url}/hook`, secretA)];
      const dispatcher = new WebhookDispatcher(store, endpoints, { logger: recordingLogger(), schedule: [] });

      assert.match((await run(['failed', '--config', config], env)).stdout, /no failed webhook deliveries/);
      await dispatcher.emit('user.locked_out', sampleData());
      assert.equal(await dispatcher.runOnce(), 1);
      const [dead] = await dispatcher.listFailed();
      assert.ok(dead);

      const listed = await run(['failed', '--config', config], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /^ID\s+EVENT\s+URL\s+ATTEMPTS\s+FAILED AT\s+LAST ERROR$/m);
      assert.match(listed.stdout, new RegExp(`${dead.id}\\s+user\\.locked_out\\s+${flaky.url}/hook\\s+1\\s+.*HTTP 503`));

      const unknown = await run(['retry', 'dlv_nope', '--config', config], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no failed delivery/);

      const retried = await run(['retry', dead.id, '--config', config], env);
      assert.equal(retried.code, 0, retried.stderr);
      assert.match(retried.stdout, /queued 1 delivery/);
      healthy = true;
      assert.equal(await dispatcher.runOnce(), 1);
      assert.equal(flaky.requests.at(-1)?.headers['webhook-id'], flaky.requests[0]?.headers['webhook-id']);
      assert.match((await run(['retry', '--all', '--config', config], env)).stdout, /queued 0 deliveries/);
    } finally {
      await store.close();
      await flaky.close();
    }
  });

  it('failed: refuses the in-memory store, whose queue lives in the gateway process', async () => {
    const config = writeConfig('memory.yaml', [{ url: `${good.url}/`, secret: '${HOOK_SECRET_A}' }], false);
    const result = await run(['failed', '--config', config], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /store\.redis/);
  });

  it('exits 1 on a bad config and 2 on usage errors', async () => {
    const config = writeConfig('u.yaml', [{ url: `${good.url}/`, secret: '${HOOK_SECRET_A}' }]);
    assert.equal((await run(['test', '--config', join(dir, 'missing.yaml')], env)).code, 1);
    assert.equal((await run(['test', '--config', config], {})).code, 1, 'secrets missing from the environment');
    for (const args of [
      [],
      ['frobnicate', '--config', config],
      ['test'],
      ['test', '--config', config, '--bogus'],
      ['failed', '--config', config, '--url', good.url],
      ['retry', '--config', config],
      ['retry', 'a', 'b', '--config', config],
      ['retry', 'a', '--all', '--config', config],
    ]) {
      const result = await run(args, env);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /usage:/);
    }
  });
});
