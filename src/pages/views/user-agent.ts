// A short, human name for a session's browser ("Firefox on Windows"). Only a
// hint for recognising one's own sessions, so a rough match is enough.
import { strings } from '../strings.ts';

const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:HeadlessChrome|Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*Safari\//, 'Safari'],
  [/^curl\//, 'curl'],
];
const SYSTEMS: ReadonlyArray<[RegExp, string]> = [
  [/\bAndroid\b/, 'Android'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

const firstMatch = (list: ReadonlyArray<[RegExp, string]>, ua: string): string | null =>
  list.find(([re]) => re.test(ua))?.[1] ?? null;

export function describeUserAgent(ua: string): string {
  const browser = firstMatch(BROWSERS, ua);
  const os = firstMatch(SYSTEMS, ua);
  if (browser && os) return strings.account.deviceOn(browser, os);
  return browser ?? os ?? strings.account.unknownDevice;
}
