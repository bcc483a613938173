// Sample view models for every page, shared by the markup and browser tests.
import QRCode from 'qrcode';
import type { PageContext } from '../../src/pages/views/context.ts';
import {
  renderAccount,
  renderBackupCodes,
  renderError,
  renderLogin,
  renderSetup,
  renderVerify,
} from '../../src/pages/views/index.ts';
import type { AccountView, ErrorView, SetupView } from '../../src/pages/views/index.ts';

export const HOSTILE = '<script>alert(1)</script>';
export const CSRF = 'csrf-token-123';
export const BASE = '/_otpgate';
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const ISSUED = Date.UTC(2026, 10, 2, 9, 30);

export function context(over: Partial<PageContext> = {}): PageContext {
  return {
    title: 'Example Corp',
    basePath: BASE,
    accentColor: '#2563eb',
    logoUrl: null,
    nonce: 'bm9uY2Utbm9uY2UtMTIz',
    csrfToken: CSRF,
    ...over,
  };
}

export async function qrSvg(): Promise<string> {
  return QRCode.toString(otpauthUri(), { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
}

function otpauthUri(): string {
  return `otpauth://totp/Example%20Corp:alice?secret=${SECRET}&issuer=Example%20Corp&digits=6&period=30`;
}

export function setupView(qr: string, over: Partial<SetupView> = {}): SetupView {
  return {
    username: 'alice',
    next: '/admin/',
    reason: 'optional',
    qrSvg: qr,
    secret: SECRET,
    otpauthUri: otpauthUri(),
    digits: 6,
    period: 30,
    algorithm: 'SHA1',
    problem: null,
    ...over,
  };
}

export function accountView(over: Partial<AccountView> = {}): AccountView {
  return {
    username: 'alice',
    enrolledAt: ISSUED,
    backupCodesLeft: 7,
    digits: 6,
    enforced: false,
    rememberDays: 30,
    rememberedUntil: ISSUED + 30 * 86_400_000,
    sessions: [
      {
        createdAt: ISSUED + 86_400_000,
        lastSeenAt: ISSUED + 90_000_000,
        ip: '203.0.113.9',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        current: true,
      },
      {
        createdAt: ISSUED,
        lastSeenAt: ISSUED + 3_600_000,
        ip: '2001:db8::42',
        userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
        current: false,
      },
    ],
    notice: null,
    formError: null,
    ...over,
  };
}

export const BACKUP_CODES = [
  'k7m2-x9qp-4hz3',
  'a3bd-77ec-pq9x',
  'mn4t-2wz8-r6yk',
  'u9cf-h3jd-5sbv',
  'e2xq-8kpm-w7ta',
  'zr5n-c4gy-3hme',
  'p8vd-6tqa-n2wu',
  'fy3k-9bxe-7rcd',
  'q6hw-t5mz-4aep',
  'd7sn-2yfu-8kgx',
];

/** A name (used for screenshot files) and a renderer taking a fresh context. */
export interface PageCase {
  name: string;
  render: (ctx: PageContext) => string;
}

const errorCase = (name: string, view: ErrorView): PageCase => ({ name, render: (ctx) => renderError(ctx, view) });

/** Every page and its main variants. */
export function pageCases(qr: string): PageCase[] {
  return [
    { name: 'login', render: (ctx) => renderLogin(ctx, { next: '/admin/', username: '', problem: null, notice: null }) },
    {
      name: 'login-error',
      render: (ctx) => renderLogin(ctx, { next: '/admin/', username: 'alice', problem: { kind: 'invalid' }, notice: null }),
    },
    {
      name: 'login-locked',
      render: (ctx) =>
        renderLogin(ctx, { next: '/admin/', username: 'alice', problem: { kind: 'locked_out', minutes: 15 }, notice: null }),
    },
    {
      name: 'verify',
      render: (ctx) =>
        renderVerify(ctx, { username: 'alice', next: '/admin/', mode: 'totp', rememberDays: 30, digits: 6, problem: null }),
    },
    {
      name: 'verify-error',
      render: (ctx) =>
        renderVerify(ctx, {
          username: 'alice',
          next: '/admin/',
          mode: 'totp',
          rememberDays: null,
          digits: 6,
          problem: { kind: 'invalid' },
        }),
    },
    {
      name: 'verify-backup',
      render: (ctx) =>
        renderVerify(ctx, { username: 'alice', next: '/admin/', mode: 'backup', rememberDays: 30, digits: 6, problem: null }),
    },
    { name: 'setup', render: (ctx) => renderSetup(ctx, setupView(qr)) },
    { name: 'setup-required', render: (ctx) => renderSetup(ctx, setupView(qr, { reason: 'required_here' })) },
    {
      name: 'setup-enforced-error',
      render: (ctx) => renderSetup(ctx, setupView(qr, { reason: 'enforced', problem: { kind: 'invalid' } })),
    },
    {
      name: 'backup-codes',
      render: (ctx) => renderBackupCodes(ctx, { username: 'alice', codes: BACKUP_CODES, next: '/admin/', regenerated: false }),
    },
    { name: 'account', render: (ctx) => renderAccount(ctx, accountView()) },
    {
      name: 'account-enforced',
      render: (ctx) =>
        renderAccount(ctx, accountView({ enforced: true, backupCodesLeft: 0, formError: { form: 'regenerate', problem: { kind: 'invalid' } } })),
    },
    {
      name: 'account-off',
      render: (ctx) => renderAccount(ctx, accountView({ enrolledAt: null, backupCodesLeft: 0, rememberedUntil: null, notice: 'two_factor_disabled' })),
    },
    errorCase('error-400', { status: 400, requestId: 'req-7f3a9c' }),
    errorCase('error-403', { status: 403, variant: 'groups', requestId: 'req-7f3a9c' }),
    errorCase('error-403-csrf', { status: 403, variant: 'csrf' }),
    errorCase('error-404', { status: 404 }),
    errorCase('error-429', { status: 429, retryAfterSeconds: 900 }),
    errorCase('error-502', { status: 502, requestId: 'req-7f3a9c' }),
    errorCase('error-503', { status: 503, requestId: 'req-7f3a9c' }),
    errorCase('error-504', { status: 504 }),
  ];
}
