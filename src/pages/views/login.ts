// The first factor: username and password.
import { strings } from '../strings.ts';
import type { PageContext } from './context.ts';
import { pagePaths } from './context.ts';
import { html } from './html.ts';
import { renderDocument } from './layout.ts';
import type { AttemptProblem } from './parts.ts';
import { csrfField, errorMessage, nextField, notice, problemText } from './parts.ts';

export interface LoginView {
  /** Where to go after signing in: a local path, already validated. */
  next: string;
  /** The username typed last time, so a typo in the password does not cost both. */
  username: string;
  problem: AttemptProblem | null;
  /** A friendly note above the form. */
  notice: 'signed_out' | 'session_expired' | null;
}

export function renderLogin(ctx: PageContext, view: LoginView): string {
  const error = view.problem ? problemText(view.problem, strings.login.invalid) : null;
  const errorId = error ? 'login-error' : null;
  const invalid = view.problem?.kind === 'invalid';
  const noticeText =
    view.notice === 'signed_out' ? strings.login.signedOut : view.notice === 'session_expired' ? strings.login.sessionExpired : null;
  // The error describes the field the user fixes: the password after a wrong
  // password, the username field for throttling (it applies to the account).
  const describeUser = errorId && !invalid ? html` aria-describedby="${errorId}"` : '';
  const describePassword = errorId && invalid ? html` aria-describedby="${errorId}" aria-invalid="true"` : '';
  const focusPassword = view.username !== '';
  const body = html`<h1>${strings.login.heading}</h1>
<p class="lead">${strings.login.intro(ctx.title)}</p>
${notice(noticeText)}
${errorMessage('login-error', error)}
<form method="post" action="${pagePaths(ctx.basePath).login}">
${csrfField(ctx)}
${nextField(view.next)}
<div class="field">
<label for="username">${strings.login.username}</label>
<input type="text" id="username" name="username" value="${view.username}" required autocomplete="username"
 autocapitalize="off" spellcheck="false"${describeUser}${focusPassword ? '' : html` autofocus`}>
</div>
<div class="field">
<label for="password">${strings.login.password}</label>
<input type="password" id="password" name="password" required autocomplete="current-password"${describePassword}${focusPassword ? html` autofocus` : ''}>
</div>
<button type="submit" class="block">${strings.login.submit}</button>
</form>`;
  return renderDocument(ctx, { page: strings.login.page, body });
}
