// Durations in the config file: a whole number with one unit ("500ms", "90s",
// "30m", "12h", "30d"), or "0". No fractions or compound forms ("1h30m"), so
// every accepted spelling has one obvious meaning.
import { InvalidValue } from './invalid-value.ts';

const UNIT_MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const;

const DURATION = /^(\d{1,15})(ms|s|m|h|d)$/;

export const DURATION_HELP = 'use a whole number with a unit: 500ms, 90s, 30m, 12h or 30d (or 0)';

/** Milliseconds in a duration such as "30m"; throws InvalidValue for anything else. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  const match = DURATION.exec(text);
  if (match === null) {
    throw new InvalidValue(`${JSON.stringify(text)} is not a duration: ${DURATION_HELP}`);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!Number.isSafeInteger(ms)) {
    throw new InvalidValue(`${JSON.stringify(text)} is too long a duration`);
  }
  return ms;
}
