// The same journey with JavaScript turned off in Chromium: every form is a
// plain HTML form, the backup-code toggle is a link, and the controls that
// need a script (copy, print) stay out of the way.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { DEFAULT_USERS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { assertVerifiedAt, backupCodesFrom, freshCode, newContext, setupKeyFrom, signIn, submitWithEnter, where } from './steps.ts';

let browser: Browser;
let gw: TestGateway;
const alice = DEFAULT_USERS.alice!;

before(async () => {
  [browser, gw] = await Promise.all([launchBrowser(), startTestGateway()]);
});

after(async () => {
  await browser?.close();
  await gw?.close();
});

test('enrol, sign in with a code and with a backup code, all without JavaScript', async () => {
  const ctx = await newContext(browser, { javaScriptEnabled: false });
  try {
    const page = await ctx.newPage();
    await page.goto(`${gw.url}/admin/`);
    await signIn(page, 'alice', alice.password);
    assert.equal(where(page), '/_otpgate/setup?next=%2Fadmin%2F');
    assert.equal(await page.getByRole('button', { name: 'Copy key' }).isVisible(), false, 'no copy button without a script');
    const secret = await setupKeyFrom(page);
    const setupCode = page.getByLabel('Authentication code');
    await setupCode.fill(freshCode(gw, secret));
    await submitWithEnter(page, setupCode);

    const codes = await backupCodesFrom(page);
    assert.equal(await page.getByRole('button', { name: 'Print' }).isVisible(), false, 'no print button without a script');
    assert.equal(await page.getByRole('link', { name: 'Download as a text file' }).isVisible(), true, 'the download is a plain link');
    await Promise.all([page.waitForURL(`${gw.url}/admin/`), page.getByRole('link', { name: 'Continue' }).click()]);
    await assertVerifiedAt(page, '/admin/', 'alice');

    // Sign out (a plain POST form) and back in with a code, asking to be remembered.
    await page.goto(`${gw.url}/_otpgate/account`);
    await Promise.all([page.waitForURL(/\/login\?signed_out=1$/), page.getByRole('button', { name: 'Sign out', exact: true }).click()]);
    await page.goto(`${gw.url}/admin/`);
    await signIn(page, 'alice', alice.password);
    assert.equal(where(page), '/_otpgate/verify?next=%2Fadmin%2F');
    const code = page.getByLabel('Authentication code');
    await code.fill(freshCode(gw, secret));
    await page.getByLabel('Remember this browser for 30 days').check();
    await Promise.all([page.waitForURL(`${gw.url}/admin/`), page.getByRole('button', { name: 'Verify' }).click()]);
    const echo = await assertVerifiedAt(page, '/admin/', 'alice');
    assert.deepEqual(echo.headers['x-user-device'], ['totp']);

    // Forget this browser, sign out, and come back with a backup code via the link.
    await page.goto(`${gw.url}/_otpgate/account`);
    await Promise.all([page.waitForURL(/done=browsers_forgotten/), page.getByRole('button', { name: 'Forget all browsers' }).click()]);
    await Promise.all([page.waitForURL(/\/login\?signed_out=1$/), page.getByRole('button', { name: 'Sign out', exact: true }).click()]);
    await page.goto(`${gw.url}/admin/`);
    await signIn(page, 'alice', alice.password);
    await Promise.all([page.waitForURL(/backup=1/), page.getByRole('link', { name: 'Use a backup code instead' }).click()]);
    const backup = page.getByLabel('Backup code');
    await backup.fill(codes[0]!);
    await submitWithEnter(page, backup);
    const again = await assertVerifiedAt(page, '/admin/', 'alice');
    assert.deepEqual(again.headers['x-user-device'], ['backup']);
  } finally {
    await ctx.close();
  }
});
