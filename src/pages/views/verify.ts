// The second factor: a code from the authenticator app, or a backup code.
import { strings } from '../strings.ts';
import type { PageContext } from './context.ts';
import { pagePaths, withNext } from './context.ts';
import { html } from './html.ts';
import { renderDocument } from './layout.ts';
import type { AttemptProblem } from './parts.ts';
import { codeInput, csrfField, errorMessage, nextField, problemText, userBar } from './parts.ts';

export interface VerifyView {
  username: string;
  next: string;
  /**
   * Which code the form asks for; `backup` comes from `?backup=1` (the toggle works without JS)
   * and is posted back as `mode`, so a refused backup code keeps the backup form.
   */
  mode: 'totp' | 'backup';
  /** session.remember_device in whole days, or null when remembering browsers is off. */
  rememberDays: number | null;
  /** two_factor.totp.digits, for the hint. */
  digits: number;
  problem: AttemptProblem | null;
}

export function renderVerify(ctx: PageContext, view: VerifyView): string {
  const paths = pagePaths(ctx.basePath);
  const backup = view.mode === 'backup';
  const error = view.problem
    ? problemText(view.problem, backup ? strings.verify.invalidBackup : strings.verify.invalidTotp)
    : null;
  const errorId = error ? 'code-error' : null;
  const toggle = backup
    ? html`<a href="${withNext(paths.verify, view.next)}">${strings.verify.useApp}</a>`
    : html`<a href="${withNext(paths.verify, view.next, { backup: '1' })}">${strings.verify.useBackup}</a>`;
  const remember =
    view.rememberDays !== null && view.rememberDays > 0
      ? html`<div class="check"><input type="checkbox" id="remember" name="remember" value="1"><label for="remember">${strings.verify.remember(view.rememberDays)}</label></div>`
      : '';
  const body = html`<h1>${strings.verify.heading}</h1>
<p class="lead">${backup ? strings.verify.introBackup : strings.verify.introTotp(ctx.title)}</p>
${errorMessage('code-error', error)}
<form method="post" action="${paths.verify}">
${csrfField(ctx)}
${nextField(view.next)}
${backup ? html`<input type="hidden" name="mode" value="backup">` : ''}
${codeInput({
  id: 'code',
  label: backup ? strings.verify.backupLabel : strings.codeLabel,
  hint: backup ? strings.verify.backupHint : strings.codeHint(view.digits),
  errorId,
  numeric: !backup,
  autofocus: true,
})}
${remember}
<button type="submit" class="block">${strings.verify.submit}</button>
</form>
<p class="alt">${toggle}</p>
${backup ? html`<p class="muted">${strings.verify.lostEverything}</p>` : ''}
${userBar(ctx, view.username)}`;
  return renderDocument(ctx, { page: strings.verify.page, body });
}
