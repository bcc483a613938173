// What a person sees when the gateway says no, in Chromium: too many wrong
// codes end in a lock-out message (and the password is refused too until it
// ends), and refused requests get the gateway's own error pages, styled and
// under the same strict headers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { DEFAULT_USERS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { freshCode, newContext, screenshot, signIn, submitWithEnter, watchConsole, where, wrongCode } from './steps.ts';

let browser: Browser;
let gw: TestGateway;

before(async () => {
  [browser, gw] = await Promise.all([launchBrowser(), startTestGateway({ config: { gateway: { title: 'Example Corp' } } })]);
});

after(async () => {
  await browser?.close();
  await gw?.close();
});

test('refused paths get styled error pages with strict headers', async () => {
  const ctx = await newContext(browser);
  try {
    const page = await ctx.newPage();
    const problems = watchConsole(page);

    // An encoded slash cannot be canonicalised unambiguously: 400, never forwarded.
    const before400 = gw.upstream.requests.length;
    const bad = await page.goto(`${gw.url}/admin%2F..%2Fstatic/`);
    assert.equal(bad?.status(), 400);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Bad request');
    assert.equal(await page.locator('.status-code').innerText(), 'Error 400');
    const headers = bad!.headers();
    assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.match(headers['content-security-policy'] ?? '', /style-src 'nonce-/);
    assert.ok(headers['referrer-policy']);
    assert.match(headers['cache-control'] ?? '', /no-store/);
    // The nonce'd stylesheet applied (the card's corners are rounded).
    assert.notEqual(await page.evaluate("getComputedStyle(document.querySelector('main')).borderTopLeftRadius"), '0px');
    // (The browser then asks for /favicon.ico, a public path the application answers.)
    const forwarded = gw.upstream.requests.slice(before400).filter((r) => r.url !== '/favicon.ico');
    assert.deepEqual(forwarded, [], 'nothing of the refused request reached the application');
    await screenshot(page, 'error-400');

    // A deny rule: 403 with the same look, and a way home that works.
    const denied = await page.goto(`${gw.url}/blocked/secret`);
    assert.equal(denied?.status(), 403);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Access denied');
    await Promise.all([page.waitForURL(`${gw.url}/`), page.getByRole('link', { name: 'Go to the home page' }).click()]);

    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});

test('too many wrong codes lock the account out, with a message saying for how long', async () => {
  const { secret } = await gw.client().enrol(gw, 'alice', DEFAULT_USERS.alice!.password);
  const { freeFailures, lockoutFailures, lockoutMs } = gw.config.twoFactor.throttle;
  const ctx = await newContext(browser);
  try {
    const page = await ctx.newPage();
    const problems = watchConsole(page);
    await page.goto(`${gw.url}/admin/`);
    await signIn(page, 'alice', DEFAULT_USERS.alice!.password);
    assert.equal(where(page), '/_otpgate/verify?next=%2Fadmin%2F');

    const field = page.getByLabel('Authentication code');
    const alert = page.getByRole('alert');
    for (let n = 1; n <= lockoutFailures; n++) {
      await field.fill(wrongCode(gw, secret));
      await submitWithEnter(page, field);
      if (n < lockoutFailures) {
        assert.equal(await alert.innerText(), 'That code did not work. Check the time on your phone and try the current code.', `failure ${n}`);
      }
      if (n === freeFailures) {
        // Straight away, even the right code is not checked: the wait is said in seconds.
        await field.fill(gw.totp(secret));
        await submitWithEnter(page, field);
        assert.equal(await alert.innerText(), 'Too many failed attempts. Wait 1 second before trying again.');
      }
      // Let the growing wait after this failure pass on the gateway's clock.
      if (n >= freeFailures) gw.clock.advance(2 ** (n - freeFailures) * 1000 + 1000);
    }
    const minutes = Math.ceil(lockoutMs / 60_000);
    assert.equal(await alert.innerText(), `Too many attempts. Try again in ${minutes} minutes.`);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'lockout');

    // The right code is refused while the lock-out lasts...
    await field.fill(freshCode(gw, secret));
    await submitWithEnter(page, field);
    assert.match(await alert.innerText(), /^Too many attempts\. Try again in \d+ minutes?\.$/);
    assert.equal(where(page), '/_otpgate/verify');

    // ...and so is the password, in a fresh browser.
    const other = await newContext(browser);
    try {
      const page2 = await other.newPage();
      await page2.goto(`${gw.url}/admin/`);
      await page2.getByLabel('Username').fill('alice');
      await page2.getByLabel('Password').fill(DEFAULT_USERS.alice!.password);
      const reply = await Promise.all([page2.waitForResponse((r) => r.request().method() === 'POST'), page2.getByRole('button', { name: 'Sign in' }).click()]);
      assert.equal(reply[0].status(), 429);
      await page2.waitForLoadState();
      assert.match(await page2.getByRole('alert').innerText(), /^Too many attempts\. Try again in \d+ minutes?\.$/);
      assert.match(where(page2), /^\/_otpgate\/login/);
    } finally {
      await other.close();
    }

    // Once it ends, the right code gets through.
    gw.clock.advance(lockoutMs);
    await field.fill(freshCode(gw, secret));
    await submitWithEnter(page, field);
    assert.equal(where(page), '/admin/');

    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});
