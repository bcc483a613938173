// The document around every page: head, brand, the card, footer, and the
// nonce'd inline style (and script, for pages that enhance something).
import { strings } from '../strings.ts';
import type { PageContext } from './context.ts';
import { sanitizeAccent, textColourOn } from './context.ts';
import { html, raw } from './html.ts';
import type { SafeHtml } from './html.ts';
import { ENHANCE_SCRIPT } from './scripts.ts';
import { stylesheet } from './styles.ts';

export interface LayoutOptions {
  /** Short name of the page for the document title ("Sign in"). */
  page: string;
  body: SafeHtml;
  /** A wider card, for pages with tables and several forms. */
  wide?: boolean;
  /** Include the progressive-enhancement script. */
  enhance?: boolean;
}

export function renderDocument(ctx: PageContext, opts: LayoutOptions): string {
  const accent = sanitizeAccent(ctx.accentColor);
  const css = stylesheet(accent, textColourOn(accent));
  const brand = ctx.logoUrl ? html`<img src="${ctx.logoUrl}" alt="${ctx.title}">` : html`<span>${ctx.title}</span>`;
  return html`<!doctype html>
<html lang="${strings.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="color-scheme" content="light dark">
<title>${strings.documentTitle(opts.page, ctx.title)}</title>
<style nonce="${ctx.nonce}">${raw(css)}</style>
</head>
<body>
<header class="brand">${brand}</header>
<main${opts.wide ? raw(' class="wide"') : ''}>
${opts.body}
</main>
<footer>${strings.footer}</footer>
${opts.enhance ? html`<script nonce="${ctx.nonce}">${raw(ENHANCE_SCRIPT)}</script>` : ''}
</body>
</html>
`.value;
}
