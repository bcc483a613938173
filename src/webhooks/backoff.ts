// When to try a failed delivery again. Pure: the clock and randomness come in.

/** Delays before the 2nd, 3rd, … attempt (the Standard Webhooks / Svix shape). */
export const DEFAULT_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000];

// Up to +20 %: spreads out retries of many events that failed together.
const JITTER = 0.2;
// A receiver cannot park a delivery for longer than this with Retry-After.
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * The delay before the next attempt after `attemptsMade` failed attempts, or
 * null when the schedule is used up (the delivery is dead-lettered).
 */
export function nextRetryDelay(
  schedule: readonly number[],
  attemptsMade: number,
  retryAfterMs: number | null,
  random: () => number,
): number | null {
  const base = schedule[attemptsMade - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 + JITTER * random()));
  if (retryAfterMs === null) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}
