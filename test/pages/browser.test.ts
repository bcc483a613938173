// Every page in real Chromium, served with the real security headers: no CSP
// violation, styles and script allowed by the nonce, a usable layout at phone
// width, and every form usable with JavaScript off (including the 303 after a
// POST, which `form-action 'self'` must allow).
//
// Set OTPGATE_SCREENSHOTS to a folder (e.g. docs/screenshots/preview) to save
// desktop and phone screenshots of each page there.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newNonce, securityHeaders } from '../../src/pages/security-headers.ts';
import { renderVerify } from '../../src/pages/views/index.ts';
import { launchBrowser, saveScreenshots } from '../helpers/browser.ts';
import { BACKUP_CODES, BASE, CSRF, context, pageCases, qrSvg } from './fixtures.ts';
import type { PageCase } from './fixtures.ts';

interface Posted {
  path: string;
  origin: string | undefined;
  form: URLSearchParams;
}

let server: Server;
let origin: string;
let browser: Browser;
let cases: PageCase[];
const posts: Posted[] = [];
const screenshotDir = process.env.OTPGATE_SCREENSHOTS;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const url = new URL(req.url ?? '/', origin);
  const nonce = newNonce();
  const page = (body: string) => ({
    status: 200,
    headers: { ...securityHeaders(nonce), 'Content-Type': 'text/html; charset=utf-8' },
    body,
  });
  if (req.method === 'POST') {
    posts.push({ path: url.pathname, origin: req.headers.origin, form: new URLSearchParams(await readBody(req)) });
    // What the routes do after a successful form: 303 to a same-origin page.
    return { status: 303, headers: { Location: '/landed' }, body: '' };
  }
  // In production /favicon.ico is the upstream's; here there is none.
  if (url.pathname === '/favicon.ico') return { status: 204, headers: {}, body: '' };
  if (url.pathname === '/landed') return page('<!doctype html><title>landed</title><p>landed</p>');
  if (url.pathname === `${BASE}/verify`) {
    const mode = url.searchParams.get('backup') === '1' ? 'backup' : 'totp';
    const next = url.searchParams.get('next') ?? '/';
    return page(renderVerify(context({ nonce }), { username: 'alice', next, mode, rememberDays: 30, digits: 6, problem: null }));
  }
  const found = cases.find((c) => url.pathname === `/page/${c.name}`);
  if (found) return page(found.render(context({ nonce })));
  return { status: 404, headers: {}, body: 'not found' };
}

/** Console errors and warnings (CSP violations are reported there) and uncaught errors. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/** Dark-mode previews of a few pages, for people to look at. */
async function saveDarkScreenshots(folder: string): Promise<void> {
  const ctx = await browser.newContext({ colorScheme: 'dark' });
  try {
    const page = await ctx.newPage();
    for (const name of ['login-error', 'verify', 'setup', 'account', 'backup-codes', 'error-503']) {
      await page.goto(`${origin}/page/${name}`);
      await saveScreenshots(page, folder, `${name}-dark`);
    }
  } finally {
    await ctx.close();
  }
}

before(async () => {
  cases = pageCases(await qrSvg());
  server = createServer((req, res) => {
    handle(req).then(
      (r) => res.writeHead(r.status, r.headers).end(r.body),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('pages with JavaScript on', () => {
  test('every page renders styled, without CSP violations, and fits a phone', async () => {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 } });
    try {
      for (const c of cases) {
        const page = await ctx.newPage();
        const problems = watchConsole(page);
        await page.goto(`${origin}/page/${c.name}`);
        // The nonce'd stylesheet applied: the card has its border radius.
        // (Browser-side code is passed as strings: the test project has no DOM types.)
        assert.notEqual(await page.evaluate("getComputedStyle(document.querySelector('main')).borderTopLeftRadius"), '0px', c.name);
        const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
        assert.ok(overflow <= 0, `${c.name} scrolls sideways at 360 px by ${overflow}px`);
        for (const input of await page.locator('input[name="code"]').all()) {
          if (c.name === 'verify-backup') continue;
          assert.equal(await input.getAttribute('autocomplete'), 'one-time-code', c.name);
          assert.equal(await input.getAttribute('inputmode'), 'numeric', c.name);
        }
        for (const input of await page.locator('input:not([type=hidden])').all()) {
          const id = await input.getAttribute('id');
          assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `${c.name}: input ${id} has a label`);
        }
        if (screenshotDir) await saveScreenshots(page, screenshotDir, c.name);
        assert.deepEqual(problems, [], c.name);
        await page.close();
      }
      if (screenshotDir) await saveDarkScreenshots(screenshotDir);
    } finally {
      await ctx.close();
    }
  });

  test('the code field accepts app codes and backup codes, and nothing else', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/page/verify`);
      const code = page.locator('#code');
      for (const [value, ok] of [
        ['123456', true],
        ['k7m2-x9qp-4hz3', true],
        ['K7M2 X9QP 4HZ3', true],
        ['12345', false],
        ['12<34>56', false],
      ] as const) {
        await code.fill(value);
        assert.equal(await page.evaluate("document.getElementById('code').checkValidity()"), ok, value);
      }
    } finally {
      await page.close();
    }
  });

  test('the enhancement script reveals the copy and print buttons, and the codes download as text', async () => {
    const ctx = await browser.newContext({ acceptDownloads: true });
    try {
      const page = await ctx.newPage();
      const problems = watchConsole(page);
      await page.goto(`${origin}/page/setup`);
      assert.equal(await page.locator('button[data-copy]').isVisible(), true);
      await page.goto(`${origin}/page/backup-codes`);
      assert.equal(await page.locator('button[data-print]').isVisible(), true);
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a[download]').click()]);
      assert.equal(download.suggestedFilename(), 'backup-codes.txt');
      const text = await readFile(await download.path(), 'utf8');
      for (const code of BACKUP_CODES) assert.ok(text.includes(code), code);
      assert.deepEqual(problems, []);
    } finally {
      await ctx.close();
    }
  });
});

describe('pages with JavaScript off', () => {
  let ctx: BrowserContext;
  before(async () => {
    ctx = await browser.newContext({ javaScriptEnabled: false });
  });
  after(async () => ctx.close());

  async function submit(pageName: string, fill: (page: Page) => Promise<void>, button: string): Promise<Posted> {
    const page = await ctx.newPage();
    try {
      const problems = watchConsole(page);
      await page.goto(`${origin}/page/${pageName}`);
      await fill(page);
      const before = posts.length;
      await Promise.all([page.waitForURL(`${origin}/landed`), page.getByRole('button', { name: button, exact: true }).click()]);
      assert.deepEqual(problems, []);
      assert.equal(posts.length, before + 1);
      const posted = posts[posts.length - 1] as Posted;
      assert.equal(posted.form.get('_csrf'), CSRF);
      // Referrer-Policy same-origin keeps the Origin header on form posts.
      assert.equal(posted.origin, origin);
      return posted;
    } finally {
      await page.close();
    }
  }

  test('sign in posts username, password and next, and follows the 303', async () => {
    const posted = await submit(
      'login',
      async (p) => {
        await p.getByLabel('Username').fill('alice');
        await p.getByLabel('Password').fill('correct horse');
      },
      'Sign in',
    );
    assert.equal(posted.path, `${BASE}/login`);
    assert.equal(posted.form.get('username'), 'alice');
    assert.equal(posted.form.get('password'), 'correct horse');
    assert.equal(posted.form.get('next'), '/admin/');
  });

  test('verify posts code, remember and next', async () => {
    const posted = await submit(
      'verify',
      async (p) => {
        await p.getByLabel('Authentication code').fill('123456');
        await p.getByLabel(/Remember this browser/).check();
      },
      'Verify',
    );
    assert.equal(posted.path, `${BASE}/verify`);
    assert.equal(posted.form.get('code'), '123456');
    assert.equal(posted.form.get('remember'), '1');
    assert.equal(posted.form.get('next'), '/admin/');
  });

  test('the backup-code toggle is a plain link that keeps next', async () => {
    const page = await ctx.newPage();
    try {
      await page.goto(`${origin}/page/verify`);
      await page.getByRole('link', { name: 'Use a backup code instead' }).click();
      await page.waitForURL(/backup=1/);
      assert.equal(await page.getByLabel('Backup code').getAttribute('inputmode'), 'text');
      assert.equal(await page.locator('input[name="next"]').inputValue(), '/admin/');
    } finally {
      await page.close();
    }
  });

  test('setup posts code and next', async () => {
    const posted = await submit('setup', (p) => p.getByLabel('Authentication code').fill('654321'), 'Turn on two-factor authentication');
    assert.equal(posted.path, `${BASE}/setup`);
    assert.equal(posted.form.get('code'), '654321');
    assert.equal(posted.form.get('next'), '/admin/');
  });

  test('account forms post to their routes', async () => {
    const regen = await submit('account', (p) => p.locator('#regenerate-code').fill('111111'), 'Generate new backup codes');
    assert.equal(regen.path, `${BASE}/backup-codes`);
    assert.equal(regen.form.get('code'), '111111');
    const disable = await submit('account', (p) => p.locator('#disable-code').fill('222222'), 'Turn off two-factor authentication');
    assert.equal(disable.path, `${BASE}/disable`);
    const forget = await submit('account', async () => {}, 'Forget all browsers');
    assert.equal(forget.path, `${BASE}/forget-browsers`);
    const everywhere = await submit('account', async () => {}, 'Sign out everywhere');
    assert.equal(everywhere.path, `${BASE}/logout-everywhere`);
    const signOut = await submit('account', async () => {}, 'Sign out');
    assert.equal(signOut.path, `${BASE}/logout`);
  });

  test('the copy and print buttons stay hidden; the secret is plain text', async () => {
    const page = await ctx.newPage();
    try {
      await page.goto(`${origin}/page/setup`);
      assert.equal(await page.locator('button[data-copy]').isVisible(), false);
      assert.match((await page.locator('#secret').textContent()) ?? '', /^JBSW Y3DP /);
      await page.goto(`${origin}/page/backup-codes`);
      assert.equal(await page.locator('button[data-print]').isVisible(), false);
      assert.equal(await page.locator('ul.codes code').count(), BACKUP_CODES.length);
    } finally {
      await page.close();
    }
  });
});
