// After enrolment, in Chromium: "remember this browser" skips the code next
// time (until the browsers are forgotten), a backup code stands in for the app
// and works once, new backup codes void the old ones, and turning two-factor
// off from the account page takes effect at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { DEFAULT_USERS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import {
  assertVerifiedAt,
  backupCodesFrom,
  freshCode,
  newContext,
  signIn,
  submitWithEnter,
  upstreamEcho,
  watchConsole,
  where,
} from './steps.ts';

let browser: Browser;
let gw: TestGateway;

before(async () => {
  [browser, gw] = await Promise.all([launchBrowser(), startTestGateway()]);
});

after(async () => {
  await browser?.close();
  await gw?.close();
});

async function signOut(page: Page): Promise<void> {
  await page.goto(`${gw.url}/_otpgate/account`);
  await Promise.all([page.waitForURL(/\/login\?signed_out=1$/), page.getByRole('button', { name: 'Sign out', exact: true }).click()]);
}

/** Opens /admin/ signed out and signs in with the password; returns the page it lands on. */
async function openAdmin(page: Page, username: string): Promise<string> {
  await page.goto(`${gw.url}/admin/`);
  await signIn(page, username, DEFAULT_USERS[username]!.password);
  return where(page);
}

async function typeCode(page: Page, label: string, code: string): Promise<void> {
  const field = page.getByLabel(label, { exact: true });
  await field.fill(code);
  await submitWithEnter(page, field);
}

test('a remembered browser skips the code until the browsers are forgotten', async () => {
  const { secret } = await gw.client().enrol(gw, 'alice', DEFAULT_USERS.alice!.password);
  const ctx = await newContext(browser);
  try {
    const page = await ctx.newPage();
    const problems = watchConsole(page);

    assert.equal(await openAdmin(page, 'alice'), '/_otpgate/verify?next=%2Fadmin%2F');
    await page.getByRole('checkbox', { name: 'Remember this browser for 30 days' }).check();
    await typeCode(page, 'Authentication code', freshCode(gw, secret));
    await assertVerifiedAt(page, '/admin/', 'alice');

    // The account page says until when: the remember cookie's own expiry, 30 days on.
    const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
    const in30Days = (ms: number): string => day.format(ms + 30 * 86_400_000);
    const before = in30Days(Date.now());
    await page.goto(`${gw.url}/_otpgate/account`);
    const remembered = /This browser is remembered until ([^,]+),/.exec(await page.locator('main').innerText())?.[1];
    assert.ok(remembered === before || remembered === in30Days(Date.now()), `remembered until ${remembered}`);

    // Signed out and back: the password is enough in this browser.
    await signOut(page);
    assert.equal(await openAdmin(page, 'alice'), '/admin/');
    const echo = await assertVerifiedAt(page, '/admin/', 'alice');
    assert.deepEqual(echo.headers['x-user-device'], ['remembered']);

    // "Forget all browsers": the next sign-in asks for a code again.
    await page.goto(`${gw.url}/_otpgate/account`);
    await Promise.all([page.waitForURL(/done=browsers_forgotten/), page.getByRole('button', { name: 'Forget all browsers' }).click()]);
    assert.equal(await page.getByRole('status').innerText(), 'All remembered browsers have been forgotten.');
    assert.match(await page.locator('main').innerText(), /This browser is not remembered\./);
    await signOut(page);
    assert.equal(await openAdmin(page, 'alice'), '/_otpgate/verify?next=%2Fadmin%2F');

    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});

test('a backup code works once, new codes void the old ones, and two-factor can be turned off', async () => {
  const { secret, backupCodes } = await gw.client().enrol(gw, 'bob', DEFAULT_USERS.bob!.password);
  const [first, second] = backupCodes as [string, string];
  const ctx = await newContext(browser);
  try {
    const page = await ctx.newPage();
    const problems = watchConsole(page);

    // "Use a backup code instead", typed the way people copy it: upper case, spaces for dashes.
    assert.equal(await openAdmin(page, 'bob'), '/_otpgate/verify?next=%2Fadmin%2F');
    await Promise.all([page.waitForURL(/backup=1/), page.getByRole('link', { name: 'Use a backup code instead' }).click()]);
    assert.equal(await page.getByLabel('Backup code').getAttribute('inputmode'), 'text');
    await typeCode(page, 'Backup code', first.toUpperCase().replace(/-/g, ' '));
    const echo = await assertVerifiedAt(page, '/admin/', 'bob');
    assert.deepEqual(echo.headers['x-user-device'], ['backup']);
    assert.equal(echo.headers['x-forwarded-groups'], undefined, 'bob is in no group');

    await page.goto(`${gw.url}/_otpgate/account`);
    assert.match(await page.locator('main').innerText(), /9 backup codes left\./);

    // The same code again is refused, and the page stays on backup codes.
    await signOut(page);
    await openAdmin(page, 'bob');
    await page.getByRole('link', { name: 'Use a backup code instead' }).click();
    await typeCode(page, 'Backup code', first);
    assert.equal(await page.getByRole('alert').innerText(), 'That backup code did not work. Each code can be used only once.');
    const field = page.getByLabel('Backup code');
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match((await field.getAttribute('aria-describedby')) ?? '', /\bcode-error\b/);
    await typeCode(page, 'Backup code', second);
    await assertVerifiedAt(page, '/admin/', 'bob');

    // New backup codes, confirmed with the current app code; the old ones stop working.
    await page.goto(`${gw.url}/_otpgate/account`);
    const regenerate = page.locator('form', { has: page.getByRole('button', { name: 'Generate new backup codes' }) });
    await regenerate.getByLabel('Authentication code').fill(freshCode(gw, secret));
    await Promise.all([page.waitForEvent('load'), regenerate.getByRole('button').click()]);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Your new backup codes');
    const fresh = await backupCodesFrom(page);
    assert.equal(fresh.length, gw.config.twoFactor.backupCodes);
    assert.ok(!fresh.includes(backupCodes[2]!));
    await Promise.all([page.waitForURL(/\/account$/), page.getByRole('link', { name: 'Continue' }).click()]);
    assert.match(await page.locator('main').innerText(), /10 backup codes left\./);

    await signOut(page);
    await openAdmin(page, 'bob');
    await page.getByRole('link', { name: 'Use a backup code instead' }).click();
    await typeCode(page, 'Backup code', backupCodes[2]!);
    assert.equal(where(page), '/_otpgate/verify', 'an old code is refused');
    await typeCode(page, 'Backup code', fresh[0]!);
    await assertVerifiedAt(page, '/admin/', 'bob');

    // Turn two-factor off: the account says so, and /admin/ now asks to set it up.
    await page.goto(`${gw.url}/_otpgate/account`);
    const disable = page.locator('form', { has: page.getByRole('button', { name: 'Turn off two-factor authentication' }) });
    await disable.getByLabel('Authentication code').fill(freshCode(gw, secret));
    await Promise.all([page.waitForURL(/done=two_factor_disabled/), disable.getByRole('button').click()]);
    assert.equal(await page.getByRole('status').innerText(), 'Two-factor authentication is now off.');
    assert.equal(await page.getByRole('link', { name: 'Set up two-factor authentication' }).count(), 1);
    await page.goto(`${gw.url}/admin/`);
    assert.equal(where(page), '/_otpgate/setup?next=%2Fadmin%2F');
    // A public page still sees who is signed in, unverified.
    await page.goto(`${gw.url}/`);
    const pub = await upstreamEcho(page);
    assert.deepEqual(pub.headers['x-user-verified'], ['false']);
    assert.deepEqual(pub.headers['x-forwarded-user'], ['bob']);

    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});
