// The account page: two-factor status and the forms that change it,
// remembered browsers and active sessions.
import { strings } from '../strings.ts';
import type { PageContext } from './context.ts';
import { pagePaths } from './context.ts';
import { html } from './html.ts';
import type { SafeHtml } from './html.ts';
import { renderDocument } from './layout.ts';
import type { AttemptProblem } from './parts.ts';
import { codeInput, csrfField, errorMessage, notice, problemText, userBar } from './parts.ts';
import { describeUserAgent } from './user-agent.ts';

export interface AccountSession {
  /** Epoch milliseconds. */
  createdAt: number;
  lastSeenAt: number;
  ip: string;
  userAgent: string;
  /** The session this page is being shown to. */
  current: boolean;
}

export type AccountNotice = keyof typeof strings.account.notices;

export interface AccountView {
  username: string;
  /** When the TOTP device was enrolled (epoch ms), or null when two-factor is off. */
  enrolledAt: number | null;
  backupCodesLeft: number;
  /** two_factor.totp.digits, for the hint (6 when not given). */
  digits?: number;
  /** two_factor.enforce (or a rule enforcing it for this user): disabling is refused. */
  enforced: boolean;
  /** session.remember_device in days, or null when remembering browsers is off. */
  rememberDays: number | null;
  /** Until when this browser is remembered (epoch ms), or null. */
  rememberedUntil: number | null;
  sessions: readonly AccountSession[];
  notice: AccountNotice | null;
  /** A code form that was just refused, so its message sits beside it. */
  formError: { form: 'regenerate' | 'disable'; problem: AttemptProblem } | null;
}

function codeForm(
  ctx: PageContext,
  view: AccountView,
  form: 'regenerate' | 'disable',
  action: string,
  submit: SafeHtml,
): SafeHtml {
  const error = view.formError?.form === form ? problemText(view.formError.problem, strings.account.invalidCode) : null;
  const errorId = `${form}-error`;
  return html`<form method="post" action="${action}">
${csrfField(ctx)}
${errorMessage(errorId, error)}
${codeInput({
  id: `${form}-code`,
  label: strings.codeLabel,
  hint: strings.codeHint(view.digits ?? 6),
  errorId: error ? errorId : null,
  numeric: true,
  autofocus: error !== null,
})}
${submit}
</form>`;
}

function twoFactorSection(ctx: PageContext, view: AccountView): SafeHtml {
  const paths = pagePaths(ctx.basePath);
  if (view.enrolledAt === null) {
    return html`<section aria-labelledby="tf-heading">
<h2 id="tf-heading">${strings.account.twoFactor}</h2>
<p>${strings.account.statusOff}</p>
<a class="button" href="${paths.setup}">${strings.account.setUp}</a>
</section>`;
  }
  const left =
    view.backupCodesLeft > 0
      ? html`<p>${strings.account.backupLeft(view.backupCodesLeft)}</p>`
      : html`<div class="alert error">${strings.account.backupNoneLeft}</div>`;
  return html`<section aria-labelledby="tf-heading">
<h2 id="tf-heading">${strings.account.twoFactor}</h2>
<p class="status-on">${strings.account.statusOn(view.enrolledAt)}</p>
${left}
</section>
<section aria-labelledby="regen-heading">
<h2 id="regen-heading">${strings.account.regenerateHeading}</h2>
<p class="muted">${strings.account.regenerateText}</p>
${codeForm(ctx, view, 'regenerate', paths.backupCodes, html`<button type="submit" class="secondary">${strings.account.regenerate}</button>`)}
</section>
<section aria-labelledby="disable-heading">
<h2 id="disable-heading">${strings.account.disableHeading}</h2>
${
  view.enforced
    ? html`<p class="muted">${strings.account.disableEnforced(ctx.title)}</p>`
    : html`<p class="muted">${strings.account.disableText}</p>
${codeForm(ctx, view, 'disable', paths.disable, html`<button type="submit" class="danger">${strings.account.disable}</button>`)}`
}
</section>`;
}

function rememberedSection(ctx: PageContext, view: AccountView): SafeHtml {
  if (view.rememberDays === null || view.rememberDays <= 0 || view.enrolledAt === null) return html``;
  return html`<section aria-labelledby="remembered-heading">
<h2 id="remembered-heading">${strings.account.rememberedHeading}</h2>
<p class="muted">${strings.account.rememberedText(view.rememberDays)}</p>
<p>${view.rememberedUntil === null ? strings.account.thisNotRemembered : strings.account.thisRemembered(view.rememberedUntil)}</p>
<form method="post" action="${pagePaths(ctx.basePath).forgetBrowsers}">
${csrfField(ctx)}
<button type="submit" class="secondary">${strings.account.forgetBrowsers}</button>
</form>
</section>`;
}

function sessionsSection(ctx: PageContext, view: AccountView): SafeHtml {
  const items = view.sessions.map(
    (s) => html`<li>
<div><strong>${describeUserAgent(s.userAgent)}</strong>${s.current ? html`<span class="badge">${strings.account.thisSession}</span>` : ''}</div>
<div class="muted">${strings.account.colAddress}: ${s.ip} · ${strings.account.colSignedIn}: <time datetime="${new Date(s.createdAt).toISOString()}">${strings.formatDateTime(s.createdAt)}</time> · ${strings.account.colLastActive}: <time datetime="${new Date(s.lastSeenAt).toISOString()}">${strings.formatDateTime(s.lastSeenAt)}</time></div>
<div class="muted" title="${s.userAgent}">${s.userAgent.length > 120 ? `${s.userAgent.slice(0, 117)}…` : s.userAgent}</div>
</li>`,
  );
  return html`<section aria-labelledby="sessions-heading">
<h2 id="sessions-heading">${strings.account.sessionsHeading}</h2>
<ul class="sessions" aria-label="${strings.account.sessionsCaption}">${items}</ul>
<form method="post" action="${pagePaths(ctx.basePath).logoutEverywhere}">
${csrfField(ctx)}
<button type="submit" class="secondary">${strings.account.logoutEverywhere}</button>
</form>
</section>`;
}

export function renderAccount(ctx: PageContext, view: AccountView): string {
  const body = html`<h1>${strings.account.heading}</h1>
${notice(view.notice ? strings.account.notices[view.notice] : null)}
${twoFactorSection(ctx, view)}
${rememberedSection(ctx, view)}
${sessionsSection(ctx, view)}
${userBar(ctx, view.username)}`;
  return renderDocument(ctx, { page: strings.account.page, body, wide: true });
}
