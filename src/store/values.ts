// Argument checks shared by both store implementations, so they agree on
// what a TTL or a stored number may be.

/** A TTL in whole milliseconds; 0 means "no expiry" (undefined, 0 or negative). */
export function ttlArgument(ttlMs: number | undefined): number {
  if (ttlMs === undefined || ttlMs <= 0) return 0;
  if (!Number.isFinite(ttlMs)) throw new RangeError(`ttl must be a finite number of milliseconds, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

/** Stored numbers (scores, raised values) must be finite: NaN would compare as neither higher nor lower. */
export function checkFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number, got ${value}`);
}
