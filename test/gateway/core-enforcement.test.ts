// Requirements at the edge, against a whole gateway with a real upstream and
// real Redis: who gets through, how refusals look (303 for a browser, 401/403
// JSON otherwise), rules filtered by method, upstream login forms, the
// gateway's own prefix, and metrics. Every refusal is checked against what
// the upstream actually received: nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, DEFAULT_USERS, type TestGateway } from '../helpers/gateway.ts';
import { rawRequest, echoOf, forwardedSince, portOf, cookieLine } from './fixtures/raw-http.ts';

const PROTECT = [
  { prefix: '/admin/', require: 'otp' },
  { prefix: '/admindocs/', require: 'otp' },
  { prefix: '/staff/', require: 'login', groups: ['staff'] },
  { prefix: '/members/', require: 'login' },
  { prefix: '/maybe/', require: 'otp_if_configured' },
  { prefix: '/blocked/', require: 'deny' },
  { prefix: '/api/', require: 'login', methods: ['POST'] },
];

const HTML = 'Accept: text/html,application/xhtml+xml,*/*;q=0.8';
const JSON_ACCEPT = 'Accept: application/json';
const USER_HEADERS = ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-user-device'];

describe('gateway core: requirements', { timeout: 30_000 }, () => {
  let gw: TestGateway;
  let port: number;
  before(async () => {
    gw = await startTestGateway({ config: { protect: PROTECT } });
    port = portOf(gw.url);
  });
  after(() => gw.close());

  it('proxies a public path for an anonymous client as unverified, with no user headers', async () => {
    const res = await rawRequest(port, '/public/page?x=1', [HTML]);
    assert.equal(res.status, 200);
    const seen = echoOf(res);
    assert.equal(seen.method, 'GET');
    assert.equal(seen.url, '/public/page?x=1');
    assert.deepEqual(seen.headers['x-user-verified'], ['false']);
    for (const name of USER_HEADERS) assert.equal(seen.headers[name], undefined, name);
  });

  it('redirects an anonymous browser navigation on /admin/ to the gateway login, keeping the query in next', async () => {
    const before = gw.upstream.requests.length;
    const plain = await rawRequest(port, '/admin/', [HTML]);
    assert.equal(plain.status, 303);
    assert.equal(plain.headers.location?.[0], '/_otpgate/login?next=%2Fadmin%2F');

    const withQuery = await rawRequest(port, '/admin/users/?page=2&q=a%20b', [HTML]);
    assert.equal(withQuery.status, 303);
    assert.equal(withQuery.headers.location?.[0], `/_otpgate/login?next=${encodeURIComponent('/admin/users/?page=2&q=a%20b')}`);

    const head = await rawRequest(port, '/admindocs/', [HTML], { method: 'HEAD' });
    assert.equal(head.status, 303);
    assert.equal(head.headers.location?.[0], '/_otpgate/login?next=%2Fadmindocs%2F');

    const login = await rawRequest(port, '/members/area', [HTML]);
    assert.equal(login.status, 303);
    assert.equal(login.headers.location?.[0], '/_otpgate/login?next=%2Fmembers%2Farea');
    assert.deepEqual(await forwardedSince(gw, before), []);
  });

  it('answers 401 JSON with a login_url to XHR/API requests and to POSTs', async () => {
    const before = gw.upstream.requests.length;
    const cases: Array<{ target: string; headers: string[]; method?: string; body?: string }> = [
      { target: '/admin/', headers: [JSON_ACCEPT] },
      { target: '/admin/', headers: [] }, // no Accept at all
      { target: '/admin/', headers: ['Accept: */*'] },
      { target: '/admin/', headers: ['Accept: text/html;q=0, application/json'] },
      { target: '/admin/', headers: [HTML], method: 'POST', body: 'a=1' },
      { target: '/admin/', headers: [HTML], method: 'PUT', body: '{}' },
      { target: '/admin/', headers: [HTML], method: 'DELETE' },
      { target: '/maybe/thing', headers: [JSON_ACCEPT] },
      { target: '/members/', headers: ['X-Requested-With: XMLHttpRequest', JSON_ACCEPT] },
    ];
    for (const c of cases) {
      const res = await rawRequest(port, c.target, c.headers, { method: c.method, body: c.body });
      assert.equal(res.status, 401, `${c.method ?? 'GET'} ${c.target} ${c.headers.join(' ')}`);
      assert.match(res.headers['content-type']?.[0] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse(res.body), {
        error: 'login_required',
        login_url: `/_otpgate/login?next=${encodeURIComponent(c.target)}`,
      });
    }
    assert.deepEqual(await forwardedSince(gw, before), []);
  });

  it('refuses a deny path with a 403 page for a browser and 403 JSON otherwise, logged in or not', async () => {
    const before = gw.upstream.requests.length;
    const page = await rawRequest(port, '/blocked/x', [HTML]);
    assert.equal(page.status, 403);
    assert.match(page.headers['content-type']?.[0] ?? '', /^text\/html/);
    assert.equal(page.headers.location, undefined);

    const api = await rawRequest(port, '/blocked/x', [JSON_ACCEPT]);
    assert.equal(api.status, 403);
    assert.deepEqual(JSON.parse(api.body), { error: 'forbidden' });

    const post = await rawRequest(port, '/BLOCKED/', [HTML], { method: 'POST', body: 'x' });
    assert.equal(post.status, 403);
    assert.equal(JSON.parse(post.body).error, 'forbidden');

    const alice = gw.client();
    await alice.enrol(gw, 'alice', DEFAULT_USERS.alice!.password);
    const verified = await rawRequest(port, '/blocked/', [HTML, cookieLine(alice.cookies)]);
    assert.equal(verified.status, 403);
    assert.equal(verified.headers.location, undefined);
    assert.deepEqual(await forwardedSince(gw, before), []);

    // The same client is let through where its session suffices.
    const admin = await rawRequest(port, '/admin/', [HTML, cookieLine(alice.cookies)]);
    assert.equal(admin.status, 200);
    assert.deepEqual(echoOf(admin).headers['x-forwarded-user'], ['alice']);
  });

  it('refuses a logged-in user outside the rule groups with 403, not a login redirect', async () => {
    const bob = gw.client();
    const login = await bob.login('bob', DEFAULT_USERS.bob!.password, '/members/');
    assert.equal(login.status, 303);
    const before = gw.upstream.requests.length;
    const page = await rawRequest(port, '/staff/', [HTML, cookieLine(bob.cookies)]);
    assert.equal(page.status, 403);
    assert.match(page.headers['content-type']?.[0] ?? '', /^text\/html/);
    const api = await rawRequest(port, '/staff/', [JSON_ACCEPT, cookieLine(bob.cookies)]);
    assert.equal(api.status, 403);
    assert.equal(JSON.parse(api.body).error, 'forbidden');
    assert.deepEqual(await forwardedSince(gw, before), []);

    // A login rule without groups lets him in, as himself and unverified.
    const members = await rawRequest(port, '/members/', [HTML, cookieLine(bob.cookies)]);
    assert.equal(members.status, 200);
    const seen = echoOf(members).headers;
    assert.deepEqual(seen['x-forwarded-user'], ['bob']);
    assert.deepEqual(seen['x-user-verified'], ['false']);
    assert.equal(seen['x-forwarded-groups'], undefined);
  });

  it('applies a methods-filtered rule to the listed methods only', async () => {
    const get = await rawRequest(port, '/api/items', [JSON_ACCEPT]);
    assert.equal(get.status, 200);
    assert.equal(echoOf(get).url, '/api/items');
    const del = await rawRequest(port, '/api/items/1', [JSON_ACCEPT], { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal(echoOf(del).method, 'DELETE');

    const before = gw.upstream.requests.length;
    const post = await rawRequest(port, '/api/items', [JSON_ACCEPT, 'Content-Type: application/json'], { method: 'POST', body: '{"a":1}' });
    assert.equal(post.status, 401);
    assert.deepEqual(JSON.parse(post.body), { error: 'login_required', login_url: '/_otpgate/login?next=%2Fapi%2Fitems' });
    const postUpper = await rawRequest(port, '/API/items', [HTML], { method: 'POST', body: 'a=1' });
    assert.equal(postUpper.status, 401);
    assert.deepEqual(await forwardedSince(gw, before), []);
  });

  it('sends upstream login forms to the gateway login with a safe next, and never forwards them', async () => {
    const before = gw.upstream.requests.length;
    const cases: Array<[target: string, next: string, headers?: string[], method?: string]> = [
      ['/admin/login/?next=/admin/x', '/admin/x'],
      ['/admin/login/?next=%2Fadmin%2Fusers%2F%3Fq%3D1', '/admin/users/?q=1'],
      ['/admin/login/?next=//evil.example', '/'],
      ['/admin/login/?next=https://evil.example/', '/'],
      ['/admin/login/?next=/%5Cevil.example', '/'],
      ['/admin/login/?next=%2F%2Fevil.example', '/'],
      ['/admin/login/', '/'],
      ['/ADMIN/login/?next=/admin/', '/admin/'],
      ['/admin/login?next=/admin/', '/admin/'],
      ['/x/../admin//login/?next=/admin/', '/admin/'],
      ['/admin/login/?next=/admin/', '/admin/', [JSON_ACCEPT]],
      ['/admin/login/?next=/admin/', '/admin/', [HTML], 'POST'],
    ];
    for (const [target, next, headers, method] of cases) {
      const res = await rawRequest(port, target, headers ?? [HTML], { method, body: method === 'POST' ? 'username=a' : undefined });
      assert.equal(res.status, 303, target);
      assert.equal(res.headers.location?.[0], `/_otpgate/login?next=${encodeURIComponent(next)}`, target);
    }
    assert.deepEqual(await forwardedSince(gw, before), []);
  });

  it('never forwards the gateway prefix, in any spelling', async () => {
    const before = gw.upstream.requests.length;
    for (const target of [
      '/_otpgate/anything',
      '/_otpgate/',
      '/_otpgate',
      '/_OTPGATE/login',
      '/_OtpGate/anything',
      '/_otpgate/../_otpgate/x',
      '/x/../_otpgate/y',
      '//_otpgate//z',
      '/%5Fotpgate/anything',
      '/_otpgate;x/anything',
      'http://upstream.example/_otpgate/anything',
    ]) {
      for (const method of ['GET', 'POST']) {
        const res = await rawRequest(port, target, [HTML], { method, body: method === 'POST' ? 'a=1' : undefined });
        assert.ok(res.status >= 200 && res.status < 600, `${method} ${target}: ${res.status}`);
        assert.notEqual(res.headers['content-type']?.[0], 'application/json', `${method} ${target} looks like the upstream echo`);
      }
    }
    assert.deepEqual(await forwardedSince(gw, before), []);

    // Gateway pages reached through a non-canonical spelling are the gateway's own.
    const health = await rawRequest(port, '/x/../%5Fotpgate//healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body, 'ok\n');
  });

  it('sends the security headers on redirects and operator answers too, not only on pages', async () => {
    const c = gw.client();
    for (const path of [`${gw.base}/account`, `${gw.base}/verify?next=%2Fadmin%2F`, '/admin/', `${gw.base}/healthz`]) {
      const r = await c.get(path);
      assert.ok(r.status === 303 || r.status === 200, `${path}: ${r.status}`);
      assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(r.headers.get('cache-control'), 'no-store', path);
    }
  });

  it('serves Prometheus metrics, counting access decisions', async () => {
    const res = await rawRequest(port, '/_otpgate/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type']?.[0] ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(res.body, /^# HELP otpgate_requests_total /m);
    assert.match(res.body, /^# TYPE otpgate_requests_total counter$/m);
    assert.match(res.body, /^otpgate_requests_total\{decision="allow"\} [1-9]\d*$/m);
    assert.match(res.body, /^otpgate_requests_total\{decision="login"\} [1-9]\d*$/m);
    // Every sample line is "name{labels} value" or "name value".
    for (const line of res.body.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? ([-+0-9.eE]+|NaN|[+-]Inf)$/, line);
    }
  });
});
