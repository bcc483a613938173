// Pieces several pages share: the CSRF field, messages, the code input and
// the "signed in as … / sign out" bar.
import { strings } from '../strings.ts';
import type { PageContext } from './context.ts';
import { pagePaths } from './context.ts';
import { html } from './html.ts';
import type { SafeHtml } from './html.ts';

/** Why a password or code was not accepted, as the routes know it. */
export type AttemptProblem =
  | { kind: 'invalid' }
  /** Throttled: the next attempt is not even checked for this long. */
  | { kind: 'wait'; seconds: number }
  /** Locked out (429): no attempts at all for this long. */
  | { kind: 'locked_out'; minutes: number };

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
}

export function nextField(next: string): SafeHtml {
  return html`<input type="hidden" name="next" value="${next}">`;
}

/** The message for a problem; `invalid` depends on the form, so the caller says it. */
export function problemText(problem: AttemptProblem, invalid: string): string {
  switch (problem.kind) {
    case 'invalid':
      return invalid;
    case 'wait':
      return strings.problems.wait(Math.max(1, Math.ceil(problem.seconds)));
    case 'locked_out':
      return strings.problems.lockedOut(Math.max(1, Math.ceil(problem.minutes)));
  }
}

/** An error message an input points at with aria-describedby; role=alert so it is announced. */
export function errorMessage(id: string, text: string | null): SafeHtml {
  return text === null ? html`` : html`<div class="alert error" id="${id}" role="alert">${text}</div>`;
}

export function notice(text: string | null): SafeHtml {
  return text === null ? html`` : html`<div class="alert ok" role="status">${text}</div>`;
}

/**
 * Accepts a TOTP code or a backup code (letters, digits, dashes, spaces), so
 * whichever the user types is sent; the server decides what it is. Written to
 * be valid under the `v` flag browsers compile `pattern` with.
 */
export const CODE_PATTERN = '[0-9A-Za-z\\s\\-]{6,32}';

export interface CodeInputOptions {
  id: string;
  label: string;
  hint: string;
  /** Id of the error message, when there is one. */
  errorId: string | null;
  /** Numeric keypad for app codes; a full keyboard for backup codes. */
  numeric: boolean;
  autofocus: boolean;
}

export function codeInput(o: CodeInputOptions): SafeHtml {
  const hintId = `${o.id}-hint`;
  const describedBy = o.errorId ? `${o.errorId} ${hintId}` : hintId;
  return html`<div class="field">
<label for="${o.id}">${o.label}</label>
<input type="text" id="${o.id}" name="code" class="code-input" required
 autocomplete="${o.numeric ? 'one-time-code' : 'off'}" inputmode="${o.numeric ? 'numeric' : 'text'}"
 pattern="${CODE_PATTERN}" maxlength="32" spellcheck="false" autocapitalize="off"
 aria-describedby="${describedBy}"${o.errorId ? html` aria-invalid="true"` : ''}${o.autofocus ? html` autofocus` : ''}>
<span class="hint" id="${hintId}">${o.hint}</span>
</div>`;
}

/** Who is signed in, and a sign-out button (a POST form, so it carries the CSRF token). */
export function userBar(ctx: PageContext, username: string): SafeHtml {
  return html`<div class="userbar">
<span>${strings.signedInAs(username)}</span>
<form method="post" action="${pagePaths(ctx.basePath).logout}">${csrfField(ctx)}<button type="submit" class="link-button">${strings.signOut}</button></form>
</div>`;
}
