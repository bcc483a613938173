// What a person does on the gateway's pages, as steps the browser tests share:
// sign in, read the setup key off the page, type the current code, read the
// backup codes, look at what the protected application received.
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { VIEWPORTS, saveScreenshots } from '../helpers/browser.ts';
import type { TestGateway } from '../helpers/gateway.ts';

/** A fresh browser profile (own cookies) at desktop width. */
export function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: VIEWPORTS.desktop, ...options });
}

/**
 * With OTPGATE_SCREENSHOTS set to a folder, saves the page at desktop and phone
 * width under `name`, then puts the page back at desktop width. Each name is
 * saved once per run, by the first test that gets there.
 */
const saved = new Set<string>();
export async function screenshot(page: Page, name: string): Promise<void> {
  const folder = process.env.OTPGATE_SCREENSHOTS;
  if (!folder || saved.has(name)) return;
  saved.add(name);
  await saveScreenshots(page, folder, name);
  await page.setViewportSize(VIEWPORTS.desktop);
}

/** Path and query of the page the browser is on. */
export function where(page: Page): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

export interface Echo {
  method: string;
  url: string;
  headers: Record<string, string[]>;
}

/** The test upstream's JSON echo, as the browser shows it. */
export async function upstreamEcho(page: Page): Promise<Echo> {
  return JSON.parse(await page.locator('body').innerText()) as Echo;
}

/** The page is the application's answer to `path`, for a verified `username`. */
export async function assertVerifiedAt(page: Page, path: string, username: string): Promise<Echo> {
  assert.equal(where(page), path);
  const echo = await upstreamEcho(page);
  assert.equal(echo.url, path);
  assert.deepEqual(echo.headers['x-user-verified'], ['true']);
  assert.deepEqual(echo.headers['x-forwarded-user'], [username]);
  return echo;
}

/** Types a username and password into the login page the browser is on, and submits. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  assert.match(where(page), /^\/_otpgate\/login/);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Submits the form that holds `field` by pressing Enter in it, and waits for the answer. */
export async function submitWithEnter(page: Page, field: ReturnType<Page['getByLabel']>): Promise<void> {
  await Promise.all([page.waitForEvent('load'), field.press('Enter')]);
}

/** The setup key as the page shows it for manual entry (grouped in fours), without the spaces. */
export async function setupKeyFrom(page: Page): Promise<string> {
  const shown = await page.locator('#secret').innerText();
  assert.match(shown, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/, 'the key is shown in groups of four');
  return shown.replace(/\s+/g, '');
}

/** The backup codes listed on the page. */
export async function backupCodesFrom(page: Page): Promise<string[]> {
  const codes = await page.locator('ul.codes code').allInnerTexts();
  assert.ok(codes.length > 0, 'backup codes are listed');
  return codes;
}

/** A fresh TOTP step, and the code the app would show in it. */
export function freshCode(gw: TestGateway, secret: string): string {
  gw.clock.nextStep();
  return gw.totp(secret);
}

/** A code that is wrong in every step the gateway accepts right now. */
export function wrongCode(gw: TestGateway, secret: string): string {
  const period = gw.config.twoFactor.totp.period * 1000;
  const valid = new Set<string>();
  for (const offset of [-2, -1, 0, 1, 2]) {
    gw.clock.advance(offset * period);
    valid.add(gw.totp(secret));
    gw.clock.advance(-offset * period);
  }
  for (let n = 0; ; n++) {
    const candidate = String(n * 111_111 % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

/** Collects console errors and uncaught exceptions (CSP violations are reported as console errors). */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    // A refused attempt answers 401/429 on purpose; Chromium logs every such status.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of')) {
      problems.push(m.text());
    }
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}
