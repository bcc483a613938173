// Error pages: the same calm look, a short explanation, and a request id to
// quote to an administrator.
import { strings } from '../strings.ts';
import type { PageContext } from './context.ts';
import { pagePaths } from './context.ts';
import { html } from './html.ts';
import type { SafeHtml } from './html.ts';
import { renderDocument } from './layout.ts';

/** The statuses with their own wording; any other status gets the nearest general one. */
export type ErrorStatus = 400 | 403 | 404 | 405 | 429 | 500 | 502 | 503 | 504;

export interface ErrorView {
  status: number;
  /**
   * For 403, what was refused: a `deny` rule (the default), a `groups` check
   * the signed-in user fails, a form whose CSRF token did not check out, or
   * turning two-factor off while it is enforced.
   */
  variant?: 'deny' | 'groups' | 'csrf' | 'enforced';
  /** For 429: when attempts are allowed again. */
  retryAfterSeconds?: number;
  requestId?: string | null;
}

function wordingStatus(status: number): ErrorStatus {
  if (status in strings.errors.byStatus) return status as ErrorStatus;
  return status >= 500 ? 500 : 400;
}

function explanation(ctx: PageContext, view: ErrorView, status: ErrorStatus): { heading: string; text: string } {
  const general = strings.errors.byStatus[status];
  if (status === 403 && view.variant && view.variant !== 'deny') {
    const variant = strings.errors.forbidden[view.variant];
    return { heading: variant.heading, text: variant.text(ctx.title) };
  }
  if (status === 429 && view.retryAfterSeconds !== undefined) {
    const minutes = Math.max(1, Math.ceil(view.retryAfterSeconds / 60));
    return { heading: general.heading, text: strings.problems.lockedOut(minutes) };
  }
  return general;
}

export function renderError(ctx: PageContext, view: ErrorView): string {
  const status = wordingStatus(view.status);
  const { heading, text } = explanation(ctx, view, status);
  const links: SafeHtml[] = [html`<a href="/">${strings.errors.home}</a>`];
  if (view.variant === 'groups' || view.variant === 'enforced' || view.variant === 'csrf') {
    links.push(html`<a href="${pagePaths(ctx.basePath).account}">${strings.errors.account}</a>`);
  }
  const body = html`<p class="status-code">${strings.errors.status(view.status)}</p>
<h1>${heading}</h1>
<p>${text}</p>
<div class="actions">${links}</div>
${view.requestId ? html`<p class="request-id">${strings.errors.requestId(view.requestId)}</p>` : ''}`;
  return renderDocument(ctx, { page: heading, body });
}
