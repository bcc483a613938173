// The backup codes, shown once: after enrolment and after regenerating them.
import { strings } from '../strings.ts';
import type { PageContext } from './context.ts';
import { localPathOr } from './context.ts';
import { html } from './html.ts';
import { renderDocument } from './layout.ts';

export interface BackupCodesView {
  username: string;
  codes: readonly string[];
  /** Where "Continue" goes: `next` after enrolment, the account page after regenerating. */
  next: string;
  /** Regenerated from the account page (old codes void) rather than just enrolled. */
  regenerated: boolean;
}

/**
 * The download is a data: URL with a `download` attribute. The codes are
 * stored hashed, so no route could serve them later; a data: link needs no
 * script and CSP does not govern downloads.
 */
export function backupCodesDataUrl(text: string): string {
  return `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`;
}

export function renderBackupCodes(ctx: PageContext, view: BackupCodesView): string {
  const file = strings.backupCodes.fileText(view.username, ctx.title, view.codes);
  const body = html`<h1>${view.regenerated ? strings.backupCodes.headingRegenerated : strings.backupCodes.headingNew}</h1>
<div class="alert ok no-print" role="status">${view.regenerated ? strings.backupCodes.oldOnesGone : strings.backupCodes.enrolled}</div>
<p>${strings.backupCodes.intro}</p>
<ul class="codes" aria-label="${strings.backupCodes.listLabel}">
${view.codes.map((code) => html`<li><code>${code}</code></li>`)}
</ul>
<p class="muted">${strings.signedInAs(view.username)} · ${ctx.title}</p>
<div class="actions no-print">
<a class="button secondary" href="${backupCodesDataUrl(file)}" download="${strings.backupCodes.fileName}">${strings.backupCodes.download}</a>
<button type="button" class="secondary" data-print hidden>${strings.backupCodes.print}</button>
</div>
<div class="actions no-print">
<a class="button block" href="${localPathOr(view.next, '/')}">${strings.backupCodes.continue}</a>
</div>`;
  return renderDocument(ctx, { page: strings.backupCodes.page, body, enhance: true });
}
