// The one stylesheet of the gateway's pages. It is small enough to inline in
// every page under the CSP nonce, which saves a request and a static route.
// Only the two colour variables depend on configuration; both are sanitised.

const MONO = 'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace';

const BASE_CSS = `
:root{--bg:#f6f8fa;--card:#fff;--text:#1f2328;--muted:#59636e;--border:#d1d9e0;--field:#fff;--inset:#f6f8fa;
--danger:#cf222e;--danger-bg:#ffebe9;--ok:#1a7f37;--ok-bg:#dafbe1;--link:var(--accent);color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#151b23;--text:#e6edf3;--muted:#9198a1;--border:#3d444d;
--field:#0d1117;--inset:#0d1117;--danger:#f85149;--danger-bg:#2d1517;--ok:#3fb950;--ok-bg:#102a1c;
--link:color-mix(in srgb,var(--accent) 55%,#fff)}}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;padding:48px 16px 24px;
background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
.brand{display:flex;align-items:center;justify-content:center;gap:10px;margin:0 0 20px;font-size:1.25rem;font-weight:600;text-align:center;overflow-wrap:anywhere}
.brand img{display:block;max-height:48px;max-width:200px}
main{width:100%;max-width:420px;background:var(--card);border:1px solid var(--border);border-radius:12px;padding:28px}
main.wide{max-width:640px}
h1{margin:0 0 8px;font-size:1.5rem;line-height:1.25;font-weight:600}
h2{margin:0 0 8px;font-size:1.0625rem;font-weight:600}
p{margin:0 0 16px}
a{color:var(--link);text-underline-offset:2px}
section{border-top:1px solid var(--border);padding-top:20px;margin-top:20px}
.lead{color:var(--muted)}
.muted{color:var(--muted);font-size:.875rem}
.field{margin:0 0 16px}
label{display:block;margin:0 0 6px;font-weight:600}
.hint{display:block;margin:6px 0 0;color:var(--muted);font-size:.875rem}
input[type=text],input[type=password]{display:block;width:100%;padding:10px 12px;font:inherit;color:inherit;
background:var(--field);border:1px solid var(--border);border-radius:8px}
input[aria-invalid=true]{border-color:var(--danger)}
.code-input{font-family:${MONO};font-size:1.25rem;letter-spacing:.12em}
.check{display:flex;gap:10px;align-items:center;margin:0 0 16px;font-weight:400}
.check input{flex:none;width:18px;height:18px;margin:0;accent-color:var(--accent)}
.check label{display:inline;margin:0;font-weight:400}
button,.button{display:inline-flex;align-items:center;justify-content:center;min-height:44px;padding:8px 16px;
font:inherit;font-weight:600;line-height:1.25;text-align:center;text-decoration:none;cursor:pointer;
border:1px solid transparent;border-radius:8px;background:var(--accent);color:var(--on-accent)}
button.block,.button.block{width:100%}
.secondary{background:transparent;color:var(--text);border-color:var(--border)}
.danger{background:transparent;color:var(--danger);border-color:var(--border)}
.link-button{min-height:0;padding:0;border:0;background:none;color:var(--link);font-weight:400;text-decoration:underline;text-underline-offset:2px}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
input:focus-visible{outline-offset:0}
.alert{margin:0 0 16px;padding:12px 14px;border:1px solid;border-radius:8px}
.alert.error{background:var(--danger-bg);border-color:var(--danger)}
.alert.ok{background:var(--ok-bg);border-color:var(--ok)}
.actions{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;margin:16px 0 0}
.alt{margin:16px 0;text-align:center}
.userbar{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:center;justify-content:space-between;margin:24px 0 0;
padding-top:16px;border-top:1px solid var(--border);color:var(--muted);font-size:.875rem}
.userbar form{margin:0}
.steps{margin:0;padding:0;list-style:none;counter-reset:step}
.steps>li{position:relative;padding-left:40px;margin:0 0 20px;counter-increment:step}
.steps>li::before{content:counter(step);position:absolute;left:0;top:0;width:28px;height:28px;border-radius:50%;
display:flex;align-items:center;justify-content:center;font-weight:600;font-size:.875rem;background:var(--inset);border:1px solid var(--border)}
.qr{width:212px;max-width:100%;margin:0 0 16px;padding:10px;background:#fff;border:1px solid var(--border);border-radius:8px}
.qr svg{display:block;width:100%;height:auto}
.secret{display:block;margin:0 0 8px;padding:10px 12px;font-family:${MONO};font-size:1.0625rem;word-spacing:.3em;
overflow-wrap:anywhere;user-select:all;background:var(--inset);border:1px solid var(--border);border-radius:8px}
.codes{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:8px;margin:0 0 16px;padding:0;list-style:none}
.codes code{display:block;padding:8px;text-align:center;font-family:${MONO};font-size:1.0625rem;
background:var(--inset);border:1px solid var(--border);border-radius:6px}
.sessions{margin:0 0 16px;padding:0;list-style:none}
.sessions li{padding:10px 0;border-bottom:1px solid var(--border)}
.sessions li:last-child{border-bottom:0}
.badge{display:inline-block;margin-left:6px;padding:0 8px;font-size:.75rem;font-weight:600;border-radius:999px;
background:var(--ok-bg);color:var(--text);border:1px solid var(--ok)}
.status-on{color:var(--ok);font-weight:600}
.status-code{margin:0 0 4px;color:var(--muted);font-size:.875rem;font-weight:600;letter-spacing:.04em}
.request-id{margin:16px 0 0;font-family:${MONO};font-size:.8125rem;color:var(--muted);overflow-wrap:anywhere}
footer{margin-top:24px;color:var(--muted);font-size:.8125rem;text-align:center}
[hidden]{display:none!important}
@media (max-width:480px){body{padding:20px 12px}main{padding:20px 16px;border-radius:10px}
.codes code{padding:6px 2px;font-size:.875rem}}
@media print{body{padding:0;background:#fff;color:#000}main{max-width:none;border:0;padding:0}
footer,form,.no-print,.userbar{display:none!important}.codes code{background:#fff;border-color:#000;color:#000}}
`
  .replace(/\n/g, '')
  .trim();

/** The stylesheet with the (already sanitised) accent colour and its readable text colour. */
export function stylesheet(accent: string, onAccent: string): string {
  return `:root{--accent:${accent};--on-accent:${onAccent}}${BASE_CSS}`;
}
