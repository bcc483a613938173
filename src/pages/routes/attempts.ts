// The shape every password or code check on the pages shares: throttle check
// first (a correct answer during a wait is refused too), then the check, then
// the bookkeeping — counters, and the events that say what happened.
import type { FastifyRequest } from 'fastify';
import type { PageDeps } from '../deps.ts';
import { eventData } from '../context.ts';
import { getRequestInfo } from '../../gateway/request-info.ts';
import { throttledProblem } from '../render.ts';
import type { AttemptProblem } from '../views/parts.ts';

export type AttemptOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; problem: AttemptProblem; status: 401 | 429; headers: Record<string, string> };

export async function attempt<T>(
  deps: PageDeps,
  req: FastifyRequest,
  who: { username: string; email: string | null },
  kind: 'password' | 'code',
  path: string,
  check: () => Promise<T | null>,
): Promise<AttemptOutcome<T>> {
  const subjects = { username: who.username, ip: getRequestInfo(req.raw).ip, factor: kind };
  const gate = await deps.throttle.check(subjects);
  if (!gate.ok) return { ok: false, ...throttledProblem(gate.retryAfterMs, gate.lockedOut) };

  let value: T | null;
  try {
    value = await check();
  } catch (err) {
    // Free the user for the next attempt (check() claimed them) before the error page.
    await deps.throttle.release(subjects).catch(() => {});
    throw err;
  }
  if (value !== null) {
    await deps.throttle.recordSuccess(subjects);
    return { ok: true, value };
  }
  const { lockedOutNow } = await deps.throttle.recordFailure(subjects);
  await deps.events.emit(kind === 'password' ? 'user.login_failed' : 'user.otp_failed', eventData(deps, req, who, path));
  if (lockedOutNow) {
    await deps.events.emit('user.locked_out', eventData(deps, req, who, path));
    const after = await deps.throttle.check(subjects);
    if (!after.ok) return { ok: false, ...throttledProblem(after.retryAfterMs, after.lockedOut) };
  }
  return { ok: false, problem: { kind: 'invalid' }, status: 401, headers: {} };
}
