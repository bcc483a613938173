// What the upstream believes about the request comes from the gateway alone:
// client-sent identity headers (every casing, repeated copies, `_`/`.`
// aliases), path-override and method-override headers, and forwarding facts
// from untrusted peers are gone; the gateway's own values are there once.
// Asserted on the raw header lines the real upstream received.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, DEFAULT_USERS, type Client, type TestGateway } from '../helpers/gateway.ts';
import type { RecordedRequest } from '../helpers/upstream.ts';
import { rawRequest, forwardedSince, portOf, cookieLine } from './fixtures/raw-http.ts';

/** Every value the upstream received under a name that a merging server reads as `name`. */
function valuesLike(rec: RecordedRequest, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rec.rawHeaders.length; i += 2) {
    if ((rec.rawHeaders[i] as string).toLowerCase().replace(/[_.]/g, '-') === name) out.push(rec.rawHeaders[i + 1] as string);
  }
  return out;
}

const IDENTITY = ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-user-device'];
const PATH_OVERRIDE = ['x-original-url', 'x-rewrite-url', 'x-forwarded-uri', 'x-forwarded-prefix'];
const METHOD_OVERRIDE = ['x-http-method-override', 'x-http-method', 'x-method-override'];

/** What a client trying to pass itself off as someone else sends. */
const SPOOFED = [
  'X-User-Verified: true',
  'x-user-verified: true',
  'X-USER-VERIFIED: 1',
  'X_User_Verified: true',
  'X.User.Verified: true',
  'x-forwarded-user: admin',
  'X-Forwarded-User: root',
  'X_Forwarded_User: admin',
  'X.Forwarded.User: admin',
  'x_forwarded.user: admin',
  'X-Forwarded-Email: admin@example.com',
  'X_Forwarded_Email: admin@example.com',
  'X-Forwarded-Groups: staff,admins',
  'X.Forwarded.Groups: staff',
  'X-User-Device: totp',
  'X_USER_DEVICE: backup',
  'X-Original-URL: /admin/',
  'X_Original_URL: /admin/',
  'X-Rewrite-URL: /admin/',
  'X-Forwarded-Uri: /admin/',
  'X.Forwarded.Uri: /admin/',
  'X-Forwarded-Prefix: /admin',
  'X-HTTP-Method-Override: DELETE',
  'X_HTTP_Method_Override: DELETE',
  'X-HTTP-Method: DELETE',
  'X-Method-Override: DELETE',
];

describe('gateway core: headers to the upstream', { timeout: 30_000 }, () => {
  let gw: TestGateway;
  let port: number;
  let alice: Client;
  before(async () => {
    gw = await startTestGateway({
      config: {
        protect: [
          { prefix: '/admin/', require: 'otp' },
          { prefix: '/api/', require: 'login', methods: ['DELETE'] },
        ],
      },
    });
    port = portOf(gw.url);
    alice = gw.client();
    await alice.enrol(gw, 'alice', DEFAULT_USERS.alice!.password);
  });
  after(() => gw.close());

  it('strips spoofed identity, path-override and method-override headers on a public path', async () => {
    const before = gw.upstream.requests.length;
    const res = await rawRequest(port, '/public/', SPOOFED);
    assert.equal(res.status, 200);
    const [rec, ...more] = gw.upstream.requests.slice(before);
    assert.equal(more.length, 0);
    assert.equal(rec!.url, '/public/');
    assert.deepEqual(valuesLike(rec!, 'x-user-verified'), ['false']);
    for (const name of [...IDENTITY, ...PATH_OVERRIDE, ...METHOD_OVERRIDE]) assert.deepEqual(valuesLike(rec!, name), [], name);
    assert.equal(rec!.method, 'GET');
  });

  it('refuses the same spoofed request on /admin/ without forwarding it', async () => {
    const before = gw.upstream.requests.length;
    const page = await rawRequest(port, '/admin/', ['Accept: text/html', ...SPOOFED]);
    assert.equal(page.status, 303);
    const api = await rawRequest(port, '/admin/', ['Accept: application/json', ...SPOOFED]);
    assert.equal(api.status, 401);
    // A public path whose override headers name /admin/ is served as the public path, if at all.
    const override = await rawRequest(port, '/public', ['X-Original-URL: /admin/', 'X-Rewrite-URL: /admin/']);
    assert.equal(override.status, 200);
    const received = await forwardedSince(gw, before);
    assert.deepEqual(
      received.map((r) => [r.url, valuesLike(r, 'x-original-url'), valuesLike(r, 'x-rewrite-url')]),
      [['/public', [], []]],
    );
  });

  it('does not let a method-override header slip past a methods-filtered rule', async () => {
    const before = gw.upstream.requests.length;
    // The rule guards DELETE; a POST that asks the upstream to treat it as DELETE.
    const res = await rawRequest(port, '/api/items/1', ['Accept: application/json', 'X-HTTP-Method-Override: DELETE'], { method: 'POST', body: '' });
    // Forwarded as the POST that was checked, without the override.
    assert.equal(res.status, 200);
    const received = await forwardedSince(gw, before);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.method, 'POST');
    for (const name of METHOD_OVERRIDE) assert.deepEqual(valuesLike(received[0]!, name), [], name);
    const del = await rawRequest(port, '/api/items/1', ['Accept: application/json'], { method: 'DELETE' });
    assert.equal(del.status, 401);
  });

  it('sends a verified user as themselves whatever identity headers they add', async () => {
    const before = gw.upstream.requests.length;
    const res = await rawRequest(port, '/admin/reports', [
      'Accept: text/html',
      'X-Forwarded-User: mallory',
      'x_forwarded_user: mallory',
      'X.Forwarded.User: mallory',
      'X-Forwarded-Email: mallory@example.com',
      'X-Forwarded-Groups: admins',
      'X-User-Verified: false',
      'X-User-Device: backup',
      cookieLine(alice.cookies),
    ]);
    assert.equal(res.status, 200);
    const [rec, ...more] = gw.upstream.requests.slice(before);
    assert.equal(more.length, 0);
    assert.equal(rec!.url, '/admin/reports');
    assert.deepEqual(valuesLike(rec!, 'x-user-verified'), ['true']);
    assert.deepEqual(valuesLike(rec!, 'x-forwarded-user'), ['alice']);
    assert.deepEqual(valuesLike(rec!, 'x-forwarded-email'), ['alice@example.com']);
    assert.deepEqual(valuesLike(rec!, 'x-forwarded-groups'), ['staff']);
    assert.deepEqual(valuesLike(rec!, 'x-user-device'), ['totp']);
  });

  it('keeps the session cookie (and the gateway cookies) from the upstream, and passes other cookies on', async () => {
    const sessionName = gw.config.session.cookie;
    assert.ok(alice.cookies.has(sessionName));
    const before = gw.upstream.requests.length;
    const res = await rawRequest(port, '/admin/', [
      'Accept: text/html',
      cookieLine(alice.cookies, ['theme=dark', 'lang=en']),
      'Cookie: tracking=1',
    ]);
    assert.equal(res.status, 200);
    const rec = gw.upstream.requests[before]!;
    assert.deepEqual(valuesLike(rec, 'x-forwarded-user'), ['alice']);
    const cookies = valuesLike(rec, 'cookie');
    assert.equal(cookies.length, 1);
    const names = cookies[0]!.split(';').map((p) => p.split('=')[0]!.trim());
    assert.deepEqual(names.sort(), ['lang', 'theme', 'tracking']);
    assert.ok(!cookies[0]!.includes(alice.cookies.get(sessionName)!));

    // An anonymous client's (forged) session cookie is not passed on either.
    const anon = await rawRequest(port, '/public', [`Cookie: ${sessionName}=forged; a=b`]);
    assert.equal(anon.status, 200);
    const last = gw.upstream.requests.at(-1)!;
    assert.deepEqual(valuesLike(last, 'cookie'), ['a=b']);
    assert.deepEqual(valuesLike(last, 'x-user-verified'), ['false']);
    assert.deepEqual(valuesLike(last, 'x-forwarded-user'), []);
  });

  it('replaces X-Forwarded-For/-Proto/-Host and other forwarding facts from an untrusted client', async () => {
    const before = gw.upstream.requests.length;
    const res = await rawRequest(
      port,
      '/public',
      [
        'X-Forwarded-For: 203.0.113.9',
        'X-Forwarded-For: 198.51.100.7',
        'X_Forwarded_For: 203.0.113.9',
        'X-Forwarded-Proto: https',
        'X-Forwarded-Host: evil.example',
        'Forwarded: for=203.0.113.9;proto=https',
        'X-Real-IP: 203.0.113.9',
      ],
      { host: 'app.example.com' },
    );
    assert.equal(res.status, 200);
    const rec = gw.upstream.requests[before]!;
    assert.deepEqual(valuesLike(rec, 'x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(valuesLike(rec, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(valuesLike(rec, 'x-forwarded-host'), ['app.example.com']);
    assert.deepEqual(valuesLike(rec, 'forwarded'), []);
    assert.deepEqual(valuesLike(rec, 'x-real-ip'), []);
    assert.deepEqual(valuesLike(rec, 'host'), ['app.example.com']);
  });
});

describe('gateway core: behind a trusted proxy', { timeout: 30_000 }, () => {
  let gw: TestGateway;
  let port: number;
  before(async () => {
    gw = await startTestGateway({ config: { server: { trusted_proxies: ['127.0.0.1/32'] } } });
    port = portOf(gw.url);
  });
  after(() => gw.close());

  it('appends the peer to the X-Forwarded-For received from a trusted proxy and believes its proto', async () => {
    const before = gw.upstream.requests.length;
    const res = await rawRequest(port, '/public', ['X-Forwarded-For: 203.0.113.9', 'X-Forwarded-Proto: https'], { host: 'app.example.com' });
    assert.equal(res.status, 200);
    const rec = gw.upstream.requests[before]!;
    assert.deepEqual(valuesLike(rec, 'x-forwarded-for'), ['203.0.113.9, 127.0.0.1']);
    assert.deepEqual(valuesLike(rec, 'x-forwarded-proto'), ['https']);
    assert.deepEqual(valuesLike(rec, 'x-forwarded-host'), ['app.example.com']);
  });

  it('keeps a chain of several proxies in order, as one header', async () => {
    const before = gw.upstream.requests.length;
    const res = await rawRequest(port, '/public', ['X-Forwarded-For: 198.51.100.1, 10.0.0.2', 'X-Forwarded-For: 203.0.113.9']);
    assert.equal(res.status, 200);
    const rec = gw.upstream.requests[before]!;
    assert.deepEqual(valuesLike(rec, 'x-forwarded-for'), ['198.51.100.1, 10.0.0.2, 203.0.113.9, 127.0.0.1']);
  });

  it('sends the peer alone when the trusted proxy sent no X-Forwarded-For, and still strips identity headers', async () => {
    const before = gw.upstream.requests.length;
    const res = await rawRequest(port, '/public', ['X-User-Verified: true', 'X-Forwarded-User: admin']);
    assert.equal(res.status, 200);
    const rec = gw.upstream.requests[before]!;
    assert.deepEqual(valuesLike(rec, 'x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(valuesLike(rec, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(valuesLike(rec, 'x-user-verified'), ['false']);
    assert.deepEqual(valuesLike(rec, 'x-forwarded-user'), []);
  });
});
