// Headless Chromium for the browser tests: the system's Debian package, never
// a downloaded browser, with everything that would reach the network off.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 360, height: 740 },
} as const;

/**
 * Saves `<folder>/<name>-desktop.png` and `<folder>/<name>-phone.png` of the
 * page's current URL (full page), leaving the page at the phone width.
 * Returns the written paths.
 */
export async function saveScreenshots(page: Page, folder: string, name: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const written: string[] = [];
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    const path = join(folder, `${name}-${label}.png`);
    await page.screenshot({ path, fullPage: true });
    written.push(path);
  }
  return written;
}
