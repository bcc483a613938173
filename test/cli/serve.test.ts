// `otpgate serve`: a port that cannot be had is a clear error naming the key,
// and the command returns (exit 1) instead of lingering with nothing served.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../src/auth/passwords.ts';
import { run } from '../../src/cli/main.ts';

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
}

describe('otpgate serve', () => {
  let dir: string;
  let taken: Server;
  let port: number;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otpgate-serve-'));
    await writeFile(join(dir, 'users.yaml'), `users:\n  alice:\n    password: "${await hashPassword('x'.repeat(12))}"\n`);
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  async function serveWith(extra: Record<string, unknown>, env: Record<string, string> = {}) {
    const file = join(dir, `config-${randomBytes(4).toString('hex')}.yaml`);
    const config = {
      server: { listen: `127.0.0.1:${port}` },
      upstream: { url: 'http://127.0.0.1:9' },
      secrets: { session: randomBytes(32).toString('base64url'), encryption_key: randomBytes(32).toString('base64') },
      users: { file: './users.yaml' },
      ...extra,
    };
    await writeFile(file, JSON.stringify(config));
    const stdout = sink();
    const stderr = sink();
    const code = await run(['serve', '--config', file], { stdin: Readable.from([]), stdout, stderr, env: { OTPGATE_LOG_LEVEL: 'silent', ...env } });
    return { code, stderr: stderr.text() };
  }

  test('a port in use: exit 1 naming server.listen, and the command returns', async () => {
    const r = await serveWith({});
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^otpgate: server\\.listen: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use\\n$`));
  });

  test('a metrics port in use: exit 1 naming metrics.listen', async () => {
    const r = await serveWith({ server: { listen: '127.0.0.1:0' }, metrics: { listen: `127.0.0.1:${port}` } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^otpgate: metrics\.listen: cannot listen on 127\.0\.0\.1:\d+: the address is already in use\n$/);
  });

  test('an unknown OTPGATE_LOG_LEVEL is refused by name', async () => {
    const r = await serveWith({}, { OTPGATE_LOG_LEVEL: 'verbose' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /OTPGATE_LOG_LEVEL: "verbose" is not one of/);
  });
});
