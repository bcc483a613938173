// A person's first visit, in Chromium: the protected page sends them to sign
// in, then to set up two-factor (they read the key off the page and type the
// code their app would show), they see their backup codes once, and land on
// the application verified. Then they sign out from the account page and come
// back with a code from the app.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { DEFAULT_USERS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import {
  assertVerifiedAt,
  backupCodesFrom,
  freshCode,
  newContext,
  screenshot,
  setupKeyFrom,
  signIn,
  submitWithEnter,
  watchConsole,
  where,
} from './steps.ts';

let browser: Browser;
let gw: TestGateway;
const alice = DEFAULT_USERS.alice!;

before(async () => {
  [browser, gw] = await Promise.all([launchBrowser(), startTestGateway({ config: { gateway: { title: 'Example Corp' } } })]);
});

after(async () => {
  await browser?.close();
  await gw?.close();
});

test('enrol from scratch, reach /admin/, sign out, and sign in again with a code', async () => {
  const ctx = await newContext(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
  try {
    const page = await ctx.newPage();
    const problems = watchConsole(page);

    await page.goto(`${gw.url}/admin/`);
    assert.equal(where(page), '/_otpgate/login?next=%2Fadmin%2F');
    assert.equal(await page.title(), 'Sign in · Example Corp');
    await assert.doesNotReject(page.getByLabel('Username').focus());
    await screenshot(page, 'login');
    await signIn(page, 'alice', alice.password);

    // Setup: the QR code, the key for manual entry, and the confirm step.
    assert.equal(where(page), '/_otpgate/setup?next=%2Fadmin%2F');
    assert.equal(await page.locator('.qr svg').count(), 1);
    const secret = await setupKeyFrom(page);
    await screenshot(page, 'setup');
    // Loopback is a secure context, so the clipboard is there and the copy button shows.
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret);
    const code = page.getByLabel('Authentication code');
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await code.getAttribute('inputmode'), 'numeric');
    await code.fill(freshCode(gw, secret));
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Turn on two-factor authentication' }).click()]);

    // The backup codes, shown once, with a download of the same codes.
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Save your backup codes');
    const codes = await backupCodesFrom(page);
    assert.equal(codes.length, gw.config.twoFactor.backupCodes);
    assert.equal(new Set(codes).size, codes.length);
    const download = page.getByRole('link', { name: 'Download as a text file' });
    assert.equal(await download.getAttribute('download'), 'backup-codes.txt');
    const file = decodeURIComponent((await download.getAttribute('href'))!.replace(/^data:text\/plain;charset=utf-8,/, ''));
    for (const c of codes) assert.ok(file.includes(c), `the download holds ${c}`);
    assert.equal(await page.getByRole('button', { name: 'Print' }).isVisible(), true, 'print needs JavaScript, which is on');
    await screenshot(page, 'backup-codes');
    await Promise.all([page.waitForURL(`${gw.url}/admin/`), page.getByRole('link', { name: 'Continue' }).click()]);

    const echo = await assertVerifiedAt(page, '/admin/', 'alice');
    assert.deepEqual(echo.headers['x-user-device'], ['totp']);
    assert.deepEqual(echo.headers['x-forwarded-groups'], ['staff']);
    assert.equal(echo.headers.cookie?.some((c) => c.includes('otpgate_session')) ?? false, false, 'the session cookie stays at the gateway');

    // The account page: status, backup codes left, this session.
    await page.goto(`${gw.url}/_otpgate/account`);
    assert.match(await page.locator('.status-on').innerText(), /^On: authenticator app added/);
    assert.match(await page.locator('main').innerText(), /10 backup codes left\./);
    assert.equal(await page.locator('.sessions li').count(), 1);
    assert.match(await page.locator('.sessions li').innerText(), /This session/);
    await screenshot(page, 'account');

    // Sign out from the account page: the session is gone, /admin/ asks again.
    await Promise.all([page.waitForURL(/\/login\?signed_out=1$/), page.getByRole('button', { name: 'Sign out', exact: true }).click()]);
    assert.equal(await page.getByRole('status').innerText(), 'You have been signed out.');
    await page.goto(`${gw.url}/admin/`);
    assert.equal(where(page), '/_otpgate/login?next=%2Fadmin%2F');

    // Sign in again: password, then the code from the app.
    await signIn(page, 'alice', alice.password);
    assert.equal(where(page), '/_otpgate/verify?next=%2Fadmin%2F');
    assert.equal(await page.getByRole('checkbox', { name: /Remember this browser/ }).isChecked(), false);
    await screenshot(page, 'verify');
    const verifyCode = page.getByLabel('Authentication code');
    await verifyCode.fill(freshCode(gw, secret));
    await submitWithEnter(page, verifyCode);
    const again = await assertVerifiedAt(page, '/admin/', 'alice');
    assert.deepEqual(again.headers['x-user-device'], ['totp']);

    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});
