// Enrolment: why, which app, the QR code and the key, then a code to confirm.
import { strings } from '../strings.ts';
import type { PageContext } from './context.ts';
import { localPathOr, pagePaths } from './context.ts';
import { html, raw } from './html.ts';
import { renderDocument } from './layout.ts';
import type { AttemptProblem } from './parts.ts';
import { codeInput, csrfField, errorMessage, nextField, problemText, userBar } from './parts.ts';

export interface SetupView {
  username: string;
  next: string;
  /**
   * Why the user is here: they chose to (`optional`), the page they asked for
   * needs a second factor (`required_here`), or every account must have one
   * (`enforced`). Only `optional` offers "Not now".
   */
  reason: 'optional' | 'required_here' | 'enforced';
  /** The QR code as an SVG document fragment, from the QR library (trusted markup). */
  qrSvg: string;
  /** The base32 secret, ungrouped. */
  secret: string;
  /** The otpauth:// URI the QR code encodes; offered as a link for phones. */
  otpauthUri: string;
  digits: number;
  period: number;
  algorithm: string;
  problem: AttemptProblem | null;
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to read out and type. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

export function renderSetup(ctx: PageContext, view: SetupView): string {
  const error = view.problem ? problemText(view.problem, strings.setup.invalid) : null;
  const why =
    view.reason === 'enforced'
      ? strings.setup.whyEnforced(ctx.title)
      : view.reason === 'required_here'
        ? strings.setup.whyRequiredHere
        : strings.setup.whyOptional;
  const plainSecret = view.secret.replace(/\s+/g, '');
  // Only an otpauth: URI becomes a link; anything else could be javascript:.
  const openInApp = view.otpauthUri.startsWith('otpauth://')
    ? html`<a href="${view.otpauthUri}">${strings.setup.openInApp}</a>`
    : '';
  const body = html`<h1>${strings.setup.heading}</h1>
<p class="lead">${why}</p>
${errorMessage('code-error', error)}
<ol class="steps">
<li><h2>${strings.setup.stepApp}</h2><p>${strings.setup.stepAppText}</p></li>
<li><h2>${strings.setup.stepScan}</h2><p>${strings.setup.stepScanText}</p>
<div class="qr" role="img" aria-label="${strings.setup.qrLabel}">${raw(view.qrSvg)}</div>
<p>${strings.setup.manualIntro}</p>
<code class="secret" id="secret">${groupSecret(plainSecret)}</code>
<p class="muted">${strings.setup.keyDetails(view.username, view.digits, view.period, view.algorithm)}</p>
<div class="actions no-print">
<button type="button" class="secondary" data-copy="${plainSecret}" data-done="${strings.setup.copied}" hidden>${strings.setup.copyKey}</button>
${openInApp}
</div></li>
<li><h2>${strings.setup.stepConfirm}</h2>
<form method="post" action="${pagePaths(ctx.basePath).setup}">
${csrfField(ctx)}
${nextField(view.next)}
${codeInput({
  id: 'code',
  label: strings.codeLabel,
  hint: strings.codeHint(view.digits),
  errorId: error ? 'code-error' : null,
  numeric: true,
  autofocus: error !== null,
})}
<button type="submit" class="block">${strings.setup.submit}</button>
</form>
${view.reason === 'optional' ? html`<p class="alt"><a href="${localPathOr(view.next, '/')}">${strings.setup.notNow}</a></p>` : ''}
</li>
</ol>
${userBar(ctx, view.username)}`;
  return renderDocument(ctx, { page: strings.setup.page, body, wide: true, enhance: true });
}
