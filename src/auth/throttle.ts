// Brute-force throttling of password and code checks, per user and per
// client address (SPEC "Details"). With the defaults (3 free failures,
// 10 failures in 15 min lock out for 15 min):
//
// - After the n-th failure (n >= 3) the next attempt waits 2^(n-3) s: 1, 2,
//   4, ... It is refused without being checked, so a right answer sent during
//   the wait is refused too and guessing cannot go faster than the delays.
// - 10 failures for one user within the window lock that user out for the
//   lock-out time; the caller is told once (`lockedOutNow`) to emit
//   `user.locked_out`.
// - A success clears the user's counters for that factor. Passwords and
//   codes are counted apart: otherwise someone who knows the password could
//   sign in again between code guesses and never reach the delays. A lock-out
//   from either blocks both.
//
// Why locking cannot be abused by address: only a *user* is ever locked out.
// The per-address counter only delays, exponentially, so one address has a
// small budget of failures across all users: the waits after failures 3..11
// add up to 1+2+...+256 = 511 s, and the wait after the 12th (512 s) runs
// past the 15-minute window. One address therefore gets at most ~12 failures
// per ~17 minutes (about 40 an hour), enough to lock out roughly one user per
// window, not every user. Guessing is limited the same way: ~10 guesses per
// user per 15 minutes, however many addresses are used.
//
// A success does not clear the address counters: otherwise an attacker with
// any account of their own could log into it between guesses to reset their
// address's budget. Address counters expire with the window instead.
//
// Concurrency: attempts for one user are checked one at a time (a short
// "busy" marker set atomically by check()). Without it, many requests sent
// at once would all pass check() before the first failure is recorded and
// get as many guesses as the attacker can send in parallel.
//
// Keys (subject = u:<user> or a:<address>):
//   throttle:<subject>:n     failures in the current window (expires windowMs after the first)
//   throttle:<subject>:wait  time before which attempts are refused (expires then)
//   (for a user, the subject is u:<user>:pw or u:<user>:code: one count per factor)
//   throttle:<user>:lock     end of the user's lock-out (set once per lock-out)
//   throttle:<user>:busy     an attempt for this user is being checked now
import { createHash } from 'node:crypto';
import type { ThrottleConfig } from '../config/types.ts';
import type { Store } from '../store/types.ts';
import { throttleAddress } from './client-address.ts';
import { isValidUsername } from './users-file.ts';

export interface ThrottleSubject {
  /** The username tried (known or not), when there is one. */
  username?: string;
  ip: string;
  /**
   * Which secret is being guessed (default 'password'). Each has its own
   * per-user failure count, so knowing the password and signing in again
   * does not wipe the failed codes: only a right code does.
   */
  factor?: 'password' | 'code';
}

export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterMs: number; lockedOut: boolean };

// Longest a check can hold a user's busy marker if the process dies between
// check() and recordFailure()/recordSuccess(). A password check takes tens of ms.
const BUSY_MS = 5_000;
// What to tell a client whose attempt collided with another for the same user.
const BUSY_RETRY_MS = 1_000;

interface Keys {
  userCount: string | null;
  userWait: string | null;
  userLock: string | null;
  userBusy: string | null;
  addrCount: string;
  addrWait: string;
}

export class Throttle {
  constructor(
    private readonly store: Store,
    private readonly cfg: ThrottleConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether an attempt may be checked now. When it returns ok, the caller must
   * follow with recordFailure() or recordSuccess() (or release() if it ends
   * up not checking anything), which frees the user for the next attempt.
   */
  async check(who: ThrottleSubject): Promise<ThrottleVerdict> {
    const k = keysFor(who);
    const now = this.now();
    // One round trip: the waits and the user's lock-out read and the busy
    // marker claimed together. The lock-out is per user, whatever factor
    // caused it: it stops password and code checks alike.
    const [userWait, userLock, addrWait, claimed] = await Promise.all([
      k.userWait ? this.store.get(k.userWait) : null,
      k.userLock ? this.store.get(k.userLock) : null,
      this.store.get(k.addrWait),
      k.userBusy ? this.store.setIfAbsent(k.userBusy, '1', BUSY_MS) : true,
    ]);
    const lockUntil = Number(userLock ?? 0);
    const until = Math.max(Number(userWait ?? 0), lockUntil, Number(addrWait ?? 0));
    if (until > now) {
      if (claimed && k.userBusy) await this.store.del(k.userBusy);
      return { ok: false, retryAfterMs: until - now, lockedOut: lockUntil > now };
    }
    if (!claimed) return { ok: false, retryAfterMs: BUSY_RETRY_MS, lockedOut: false };
    return { ok: true };
  }

  /** Counts a failed attempt; `lockedOutNow` is true for the one failure that starts a lock-out. */
  async recordFailure(who: ThrottleSubject): Promise<{ lockedOutNow: boolean }> {
    const k = keysFor(who);
    const now = this.now();
    const { windowMs, lockoutMs, lockoutFailures } = this.cfg;
    const [userFailures, addrFailures] = await Promise.all([
      k.userCount ? this.store.incr(k.userCount, windowMs) : 0,
      this.store.incr(k.addrCount, windowMs),
    ]);

    const writes: Array<Promise<unknown>> = [];
    let lockStarted: Promise<boolean> = Promise.resolve(false);
    if (k.userCount && k.userWait && k.userLock) {
      if (userFailures >= lockoutFailures) {
        lockStarted = this.store.setIfAbsent(k.userLock, String(now + lockoutMs), lockoutMs);
        writes.push(
          lockStarted,
          this.store.raiseTo(k.userWait, now + lockoutMs, lockoutMs),
          // After the lock-out the user starts again from zero failures.
          this.store.del(k.userCount),
        );
      } else {
        const delay = this.delayAfter(userFailures);
        if (delay > 0) writes.push(this.store.raiseTo(k.userWait, now + delay, delay));
      }
    }
    const addrDelay = this.delayAfter(addrFailures);
    if (addrDelay > 0) writes.push(this.store.raiseTo(k.addrWait, now + addrDelay, addrDelay));
    if (k.userBusy) writes.push(this.store.del(k.userBusy));
    await Promise.all(writes);
    return { lockedOutNow: await lockStarted };
  }

  /** A right answer: clears the user's failures and waits (not the address's; see the top of the file). */
  async recordSuccess(who: ThrottleSubject): Promise<void> {
    const k = keysFor(who);
    if (k.userCount && k.userWait && k.userBusy) await this.store.del(k.userCount, k.userWait, k.userBusy);
  }

  /** Frees the user after a check() that was not followed by an answer check. */
  async release(who: ThrottleSubject): Promise<void> {
    const k = keysFor(who);
    if (k.userBusy) await this.store.del(k.userBusy);
  }

  /** Wait in ms after the n-th failure: 2^(n-free) s once n reaches `freeFailures`, capped at the lock-out time. */
  private delayAfter(failures: number): number {
    if (failures < this.cfg.freeFailures) return 0;
    const exponent = Math.min(failures - this.cfg.freeFailures, 40);
    return Math.min(2 ** exponent * 1000, this.cfg.lockoutMs);
  }
}

function keysFor(who: ThrottleSubject): Keys {
  const addr = `throttle:a:${throttleAddress(who.ip)}`;
  const user = who.username === undefined ? null : `throttle:u:${userKeyPart(who.username)}`;
  const factor = user && `${user}:${who.factor === 'code' ? 'code' : 'pw'}`;
  return {
    userCount: factor && `${factor}:n`,
    userWait: factor && `${factor}:wait`,
    userLock: user && `${user}:lock`,
    userBusy: user && `${user}:busy`,
    addrCount: `${addr}:n`,
    addrWait: `${addr}:wait`,
  };
}

/** Typed usernames are arbitrary text; anything not a valid username is hashed to a short, safe key. */
function userKeyPart(username: string): string {
  if (isValidUsername(username)) return username;
  return `#${createHash('sha256').update(username).digest('base64url').slice(0, 22)}`;
}
