// The built-in demo application behind the gateway in `npm start`: a stand-in
// for the legacy app an operator protects. It knows nothing about two-factor;
// it only shows what the gateway tells it.
import { createServer, type IncomingMessage, type Server } from 'node:http';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Demo app</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1f2937}
nav a{margin-right:1rem}table{border-collapse:collapse;width:100%;font-size:14px}td{border-bottom:1px solid #e5e7eb;padding:.3rem .5rem;vertical-align:top;word-break:break-all}
.yes{color:#047857;font-weight:600}.no{color:#b91c1c;font-weight:600}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}
@media (prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}td{border-color:#374151}code{background:#1f2937}a{color:#93c5fd}}</style></head>
<body><nav><a href="/">Home</a><a href="/admin/">Admin</a><a href="/admindocs/">Admin docs</a><a href="/headers">Headers</a><a href="/_otpgate/account">Account</a></nav>
<h1>${esc(title)}</h1>${body}</body></html>`;
}

function who(req: IncomingMessage): string {
  const verified = req.headers['x-user-verified'] === 'true';
  const user = req.headers['x-forwarded-user'];
  return `<p>The gateway says: user <code>${esc(String(user ?? 'nobody'))}</code>, verified
<span class="${verified ? 'yes' : 'no'}">${verified ? 'yes' : 'no'}</span>${req.headers['x-user-device'] ? ` (device <code>${esc(String(req.headers['x-user-device']))}</code>)` : ''}.</p>`;
}

export function createDemoApp(): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let html: string;
    let status = 200;
    if (path === '/') {
      html = page(
        'Demo app',
        `<p>A public page: anyone can read it.</p>${who(req)}<p>Try <a href="/admin/">the admin</a>: otpgate asks for a password and a one-time code first. <a href="/headers">/headers</a> shows what the app receives.</p>`,
      );
    } else if (path === '/headers') {
      const rows = Object.entries(req.headers)
        .map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td>${esc(Array.isArray(v) ? v.join(', ') : String(v))}</td></tr>`)
        .join('');
      html = page('Headers the app received', `${who(req)}<table>${rows}</table>`);
    } else if (path === '/admin/login/' || path === '/admin/login') {
      html = page('Old admin login', '<p>The app\'s own login form. otpgate redirects here to its own login, so this page is never reached through the gateway.</p>');
    } else if (path.startsWith('/admin/')) {
      html = page('Admin', `${who(req)}<p>Protected by <code>require: otp</code>. You only see this after a password and a second factor.</p>`);
    } else if (path.startsWith('/admindocs/')) {
      html = page('Admin docs', `${who(req)}<p>Also <code>require: otp</code>: in Django, admindocs could sidestep a patched admin login; here every prefix is enforced at the edge.</p>`);
    } else {
      status = 404;
      html = page('Not found', '<p>No such page in the demo app.</p>');
    }
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : html);
  });
}
