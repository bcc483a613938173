// The rendered markup: hostile values escaped everywhere, every form posting
// to the gateway with the CSRF token and the SPEC's field names, and the
// document-level promises (lang, noindex, no inline handlers or styles).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  renderAccount,
  renderBackupCodes,
  renderError,
  renderLogin,
  renderSetup,
  renderVerify,
} from '../../src/pages/views/index.ts';
import type { ErrorStatus } from '../../src/pages/views/index.ts';
import { accountView, BACKUP_CODES, BASE, context, CSRF, HOSTILE, pageCases, qrSvg, setupView } from './fixtures.ts';
import type { PageCase } from './fixtures.ts';

interface Form {
  action: string;
  method: string;
  body: string;
}

function formsOf(doc: string): Form[] {
  return [...doc.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map((m) => ({
    action: /action="([^"]*)"/.exec(m[1] ?? '')?.[1] ?? '',
    method: /method="([^"]*)"/.exec(m[1] ?? '')?.[1] ?? '',
    body: m[2] ?? '',
  }));
}

const fieldNames = (form: Form): string[] => [...form.body.matchAll(/\sname="([^"]*)"/g)].map((m) => m[1] ?? '');

let qr: string;
let cases: PageCase[];
before(async () => {
  qr = await qrSvg();
  cases = pageCases(qr);
});

describe('every page', () => {
  test('is a complete, non-indexed document with the nonce on its only style and script', () => {
    for (const c of cases) {
      const doc = c.render(context({ nonce: 'N0nce' }));
      assert.match(doc, /^<!doctype html>\n<html lang="en">/, c.name);
      assert.match(doc, /<meta name="robots" content="noindex, nofollow">/, c.name);
      assert.match(doc, /<meta name="viewport" content="width=device-width, initial-scale=1">/, c.name);
      assert.match(doc, /<title>[^<]+ · Example Corp<\/title>/, c.name);
      assert.equal(doc.match(/<style\b/g)?.length, 1, c.name);
      assert.match(doc, /<style nonce="N0nce">/, c.name);
      for (const tag of doc.match(/<script\b[^>]*>/g) ?? []) assert.equal(tag, '<script nonce="N0nce">', c.name);
      assert.doesNotMatch(doc, /\son[a-z]+=/i, `${c.name}: inline event handler`);
      assert.doesNotMatch(doc, /\sstyle=/i, `${c.name}: style attribute`);
      assert.doesNotMatch(doc, /(?:src|href)="(?:https?:)?\/\//, `${c.name}: external resource`);
    }
  });

  test('puts every form on POST to the gateway with the CSRF token', () => {
    let forms = 0;
    for (const c of cases) {
      for (const form of formsOf(c.render(context()))) {
        forms++;
        assert.equal(form.method, 'post', c.name);
        assert.ok(form.action.startsWith(`${BASE}/`), `${c.name}: ${form.action}`);
        assert.ok(form.body.includes(`<input type="hidden" name="_csrf" value="${CSRF}">`), `${c.name}: ${form.action}`);
      }
    }
    assert.ok(forms >= 15);
  });

  test('escapes hostile text from config, users and requests everywhere', () => {
    const evilNext = `/x"><script>alert(1)</script>`;
    const ctx = context({
      title: HOSTILE,
      csrfToken: `"><script>alert(1)</script>`,
      logoUrl: `"><script>alert(1)</script>`,
      accentColor: `</style><script>alert(1)</script>`,
    });
    const sessions = accountView().sessions.map((s) => ({ ...s, ip: HOSTILE, userAgent: HOSTILE }));
    const docs = [
      renderLogin(ctx, { next: evilNext, username: HOSTILE, problem: { kind: 'invalid' }, notice: null }),
      renderVerify(ctx, { username: HOSTILE, next: evilNext, mode: 'totp', rememberDays: 30, digits: 6, problem: null }),
      renderVerify(ctx, { username: HOSTILE, next: evilNext, mode: 'backup', rememberDays: 30, digits: 6, problem: null }),
      renderSetup(ctx, setupView(qr, { username: HOSTILE, next: evilNext, secret: HOSTILE, otpauthUri: HOSTILE, algorithm: HOSTILE })),
      renderBackupCodes(ctx, { username: HOSTILE, codes: [HOSTILE, ...BACKUP_CODES], next: evilNext, regenerated: true }),
      renderAccount(ctx, accountView({ username: HOSTILE, sessions })),
      ...([400, 403, 404, 429, 500, 502, 503, 504] as ErrorStatus[]).map((status) =>
        renderError(ctx, { status, requestId: HOSTILE, variant: 'groups' }),
      ),
    ];
    for (const doc of docs) {
      assert.doesNotMatch(doc, /<script>alert/);
      assert.doesNotMatch(doc, /"><script/);
      assert.match(doc, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.match(doc, /--accent:#2563eb;/);
    }
  });

  test('never links to a next that leaves the site', () => {
    const ctx = context();
    const setup = renderSetup(ctx, setupView(qr, { next: '//evil.example/' }));
    const codes = renderBackupCodes(ctx, { username: 'a', codes: BACKUP_CODES, next: 'javascript:alert(1)', regenerated: false });
    for (const doc of [setup, codes]) {
      assert.doesNotMatch(doc, /href="\/\/evil/);
      assert.doesNotMatch(doc, /href="javascript:/);
    }
  });
});

describe('login', () => {
  test('posts username, password and next, with the right autocomplete', () => {
    const doc = renderLogin(context(), { next: '/admin/?a=1&b=2', username: '', problem: null, notice: null });
    const [form] = formsOf(doc);
    assert.equal(form?.action, `${BASE}/login`);
    assert.deepEqual(fieldNames(form as Form).sort(), ['_csrf', 'next', 'password', 'username']);
    assert.match(doc, /<input type="hidden" name="next" value="\/admin\/\?a=1&amp;b=2">/);
    assert.match(doc, /name="username"[^>]*autocomplete="username"/);
    assert.match(doc, /name="password"[^>]*autocomplete="current-password"/);
    assert.match(doc, /<label for="username">/);
    assert.match(doc, /<label for="password">/);
  });

  test('ties a wrong-password message to the password field', () => {
    const doc = renderLogin(context(), { next: '/', username: 'alice', problem: { kind: 'invalid' }, notice: null });
    assert.match(doc, /id="login-error" role="alert">Incorrect username or password\./);
    assert.match(doc, /name="password"[^>]*aria-describedby="login-error" aria-invalid="true"/);
    assert.match(doc, /name="username" value="alice"/);
  });

  test('says when a locked-out user can try again, and how long a throttled one waits', () => {
    const locked = renderLogin(context(), { next: '/', username: 'alice', problem: { kind: 'locked_out', minutes: 15 }, notice: null });
    assert.match(locked, /Too many attempts\. Try again in 15 minutes\./);
    const oneMinute = renderLogin(context(), { next: '/', username: 'a', problem: { kind: 'locked_out', minutes: 0.2 }, notice: null });
    assert.match(oneMinute, /Try again in 1 minute\./);
    const wait = renderLogin(context(), { next: '/', username: 'alice', problem: { kind: 'wait', seconds: 4 }, notice: null });
    assert.match(wait, /Wait 4 seconds before trying again\./);
  });
});

describe('verify', () => {
  const base = { username: 'alice', next: '/admin/', digits: 6, problem: null } as const;

  test('posts code, remember and next; the code field suits one-time codes', () => {
    const doc = renderVerify(context(), { ...base, mode: 'totp', rememberDays: 30 });
    const verifyForm = formsOf(doc).find((f) => f.action === `${BASE}/verify`) as Form;
    assert.deepEqual(fieldNames(verifyForm).sort(), ['_csrf', 'code', 'next', 'remember']);
    assert.match(doc, /name="code"[^>]*autocomplete="one-time-code" inputmode="numeric"/);
    assert.match(doc, /Remember this browser for 30 days/);
    assert.match(doc, /Signed in as alice/);
    assert.ok(formsOf(doc).some((f) => f.action === `${BASE}/logout`), 'sign-out form');
  });

  test('offers no remember box when remembering browsers is off', () => {
    const doc = renderVerify(context(), { ...base, mode: 'totp', rememberDays: null });
    assert.doesNotMatch(doc, /name="remember"/);
  });

  test('switches between app and backup codes with plain links that keep next', () => {
    const totp = renderVerify(context(), { ...base, mode: 'totp', rememberDays: null });
    assert.match(totp, /<a href="\/_otpgate\/verify\?backup=1&amp;next=%2Fadmin%2F">Use a backup code instead<\/a>/);
    const backup = renderVerify(context(), { ...base, mode: 'backup', rememberDays: null });
    assert.match(backup, /<a href="\/_otpgate\/verify\?next=%2Fadmin%2F">Use your authenticator app instead<\/a>/);
    assert.match(backup, /<label for="code">Backup code<\/label>/);
    assert.match(backup, /name="code"[^>]*inputmode="text"/);
  });

  test('ties the error to the code field, and shows the lock-out', () => {
    const doc = renderVerify(context(), { ...base, mode: 'totp', rememberDays: null, problem: { kind: 'invalid' } });
    assert.match(doc, /id="code-error" role="alert"/);
    assert.match(doc, /aria-describedby="code-error code-hint" aria-invalid="true"/);
    const locked = renderVerify(context(), { ...base, mode: 'totp', rememberDays: null, problem: { kind: 'locked_out', minutes: 15 } });
    assert.match(locked, /Too many attempts\. Try again in 15 minutes\./);
  });
});

describe('setup', () => {
  test('shows the QR code, the grouped key and a code form posting code and next', () => {
    const doc = renderSetup(context(), setupView(qr));
    assert.ok(doc.includes(qr), 'the QR SVG is inlined as is');
    assert.match(doc, /<code class="secret" id="secret">JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP<\/code>/);
    assert.match(doc, /Google Authenticator, Microsoft Authenticator, 1Password, Bitwarden, Aegis or FreeOTP/);
    assert.match(doc, /<button type="button"[^>]*data-copy="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"[^>]*hidden>/);
    const [form] = formsOf(doc).filter((f) => f.action === `${BASE}/setup`);
    assert.deepEqual(fieldNames(form as Form).sort(), ['_csrf', 'code', 'next']);
    assert.match(doc, /name="code"[^>]*autocomplete="one-time-code" inputmode="numeric"/);
    assert.match(doc, />Not now</);
  });

  test('explains why when the page or the gateway requires two-factor, with no way to skip', () => {
    const here = renderSetup(context(), setupView(qr, { reason: 'required_here' }));
    assert.match(here, /The page you asked for needs two-factor authentication/);
    const enforced = renderSetup(context(), setupView(qr, { reason: 'enforced' }));
    assert.match(enforced, /Example Corp requires two-factor authentication on every account/);
    for (const doc of [here, enforced]) assert.doesNotMatch(doc, />Not now</);
  });
});

describe('backup codes', () => {
  test('shows each code in its own element, a download, print and continue', () => {
    const doc = renderBackupCodes(context(), { username: 'alice', codes: BACKUP_CODES, next: '/admin/', regenerated: false });
    for (const code of BACKUP_CODES) assert.ok(doc.includes(`<li><code>${code}</code></li>`), code);
    const href = /<a class="button secondary" href="(data:[^"]*)" download="backup-codes.txt">/.exec(doc)?.[1] ?? '';
    const text = decodeURIComponent(href.replace('data:text/plain;charset=utf-8,', ''));
    assert.ok(BACKUP_CODES.every((c) => text.includes(`${c}\n`)));
    assert.match(doc, /<button type="button" class="secondary" data-print hidden>Print<\/button>/);
    assert.match(doc, /<a class="button block" href="\/admin\/">Continue<\/a>/);
    assert.match(doc, /@media print/);
  });
});

describe('account', () => {
  test('shows status, remembered browsers and sessions, with every form in place', () => {
    const doc = renderAccount(context(), accountView());
    assert.match(doc, /authenticator app added 2 November 2026/);
    assert.match(doc, /7 backup codes left\./);
    assert.match(doc, /This browser is remembered until/);
    assert.match(doc, /Chrome on Linux<\/strong><span class="badge">This session<\/span>/);
    assert.match(doc, /Safari on iOS/);
    const byAction = new Map(formsOf(doc).map((f) => [f.action, fieldNames(f).sort()]));
    assert.deepEqual(byAction.get(`${BASE}/backup-codes`), ['_csrf', 'code']);
    assert.deepEqual(byAction.get(`${BASE}/disable`), ['_csrf', 'code']);
    assert.deepEqual(byAction.get(`${BASE}/forget-browsers`), ['_csrf']);
    assert.deepEqual(byAction.get(`${BASE}/logout-everywhere`), ['_csrf']);
    assert.deepEqual(byAction.get(`${BASE}/logout`), ['_csrf']);
  });

  test('does not offer to turn two-factor off while it is enforced', () => {
    const doc = renderAccount(context(), accountView({ enforced: true }));
    assert.ok(!formsOf(doc).some((f) => f.action === `${BASE}/disable`));
    assert.match(doc, /so it cannot be turned off/);
  });

  test('offers set-up instead of code forms when two-factor is off', () => {
    const doc = renderAccount(context(), accountView({ enrolledAt: null, notice: 'two_factor_disabled' }));
    assert.match(doc, /<a class="button" href="\/_otpgate\/setup">/);
    assert.match(doc, /role="status">Two-factor authentication is now off\./);
    assert.doesNotMatch(doc, /name="code"/);
    assert.doesNotMatch(doc, /Remembered browsers/);
  });

  test('puts a refused code message beside its form', () => {
    const doc = renderAccount(context(), accountView({ formError: { form: 'disable', problem: { kind: 'invalid' } } }));
    assert.match(doc, /id="disable-error" role="alert"/);
    assert.match(doc, /id="disable-code"[\s\S]*aria-describedby="disable-error disable-code-hint" aria-invalid="true"/);
    assert.doesNotMatch(doc, /id="regenerate-error"/);
  });
});

describe('error pages', () => {
  test('explain the problem in plain words and show the request id', () => {
    const cases: Array<[ErrorStatus, RegExp]> = [
      [400, /address of this request is not allowed/],
      [403, /This page is not available/],
      [404, /nothing at this address/],
      [429, /Try again later/],
      [502, /could not be reached/],
      [503, /Sign-in is temporarily unavailable/],
      [504, /did not answer in time/],
    ];
    for (const [status, text] of cases) {
      const doc = renderError(context(), { status, requestId: 'req-42' });
      assert.match(doc, text, String(status));
      assert.match(doc, new RegExp(`Error ${status}`));
      assert.match(doc, /Request ID: req-42/);
    }
  });

  test('403 variants and 429 with a time say more', () => {
    assert.match(renderError(context(), { status: 403, variant: 'groups' }), /does not have access to this page/);
    assert.match(renderError(context(), { status: 403, variant: 'csrf' }), /This form has expired/);
    assert.match(renderError(context(), { status: 403, variant: 'enforced' }), /Example Corp requires two-factor/);
    assert.match(renderError(context(), { status: 429, retryAfterSeconds: 840 }), /Try again in 14 minutes\./);
    assert.doesNotMatch(renderError(context(), { status: 404 }), /Request ID/);
  });

  test('other statuses get the nearest general wording', () => {
    assert.match(renderError(context(), { status: 501 }), /Error 501[\s\S]*Something went wrong/);
    assert.match(renderError(context(), { status: 418 }), /Error 418[\s\S]*Bad request/);
  });
});
