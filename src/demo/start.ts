// `npm start`: a working gateway on :8080 in front of the demo app, with the
// embedded in-memory store, fresh secrets and a demo user whose password is
// printed. Nothing is written outside a temporary folder.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { resolveConfig } from '../config/load.ts';
import { createGateway } from '../gateway/gateway.ts';
import { hashPassword } from '../auth/passwords.ts';
import { createDemoApp } from './app.ts';

const port = Number(process.env.PORT ?? 8080);

const app = createDemoApp();
await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
const upstreamPort = (app.address() as AddressInfo).port;

const dir = mkdtempSync(join(tmpdir(), 'otpgate-demo-'));
const password = randomBytes(9).toString('base64url');
writeFileSync(
  join(dir, 'users.yaml'),
  `users:\n  demo:\n    password: "${await hashPassword(password)}"\n    email: demo@example.com\n    groups: [staff]\n`,
);

const config = resolveConfig(
  {
    server: { listen: `0.0.0.0:${port}` },
    upstream: { url: `http://127.0.0.1:${upstreamPort}`, login_paths: ['/admin/login/'] },
    gateway: { title: 'otpgate demo' },
    secrets: { session: randomBytes(32).toString('base64url'), encryption_key: randomBytes(32).toString('base64') },
    users: { file: './users.yaml' },
    protect: [
      { prefix: '/admin/', require: 'otp' },
      { prefix: '/admindocs/', require: 'otp' },
    ],
    default: 'public',
  },
  { baseDir: dir },
);

const gateway = await createGateway(config, { log: { level: process.env.OTPGATE_LOG_LEVEL ?? 'error' } });
await gateway.listen();

console.log(`
otpgate demo is running (embedded in-memory store: restart forgets everything).

  Open http://localhost:${port}/admin/ and sign in as  demo  /  ${password}
  Then scan the QR code with any authenticator app (or type the secret shown).

  http://localhost:${port}/headers shows the headers the app receives (watch X-User-Verified).
  Stop with Ctrl+C.
`);

const stop = async (): Promise<void> => {
  await gateway.close();
  app.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
