// Rule prefixes must be canonical, and no rule may be dead: duplicated,
// shadowed by an earlier rule, or under the gateway's own path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertOneProblem, problemsOf, rawWith, resolve } from './fixtures.ts';

type Rule = { prefix: string; require?: string; methods?: string[]; groups?: string[] };

const withRules = (...rules: Rule[]) => rawWith({ protect: rules.map((rule) => ({ require: 'otp', ...rule })) });

test('prefixes are stored lower-cased without the trailing slash', () => {
  const config = resolve(withRules({ prefix: '/Admin/' }, { prefix: '/api/v1' }, { prefix: "/a-b_c.d~e!$&'()*+,=:@x" }, { prefix: '/' }));
  assert.deepEqual(
    config.protect.map((rule) => rule.prefix),
    ['/admin', '/api/v1', "/a-b_c.d~e!$&'()*+,=:@x", '/'],
  );
});

test('a non-canonical prefix is an error naming the rule', () => {
  const cases: Array<[string, RegExp]> = [
    ['admin/', /must start with "\/"/],
    ['', /must start with "\/"/],
    ['/a/../b', /"\." or "\.\." segment/],
    ['/a/./b', /"\." or "\.\." segment/],
    ['/a/..', /"\." or "\.\." segment/],
    ['/a//b', /"\/\/"/],
    ['//', /"\/\/"/],
    ['/a%2fb', /contains "%"/],
    ['/a\\b', /backslash/],
    ['/a;b', /contains ";"/],
    ['/a?b', /contains "\?"/],
    ['/a#b', /contains "#"/],
    ['/a b', /whitespace or a control character/],
    ['/a\tb', /whitespace or a control character/],
    ['/a\u0000b', /whitespace or a control character/],
    ['/caf\u00e9', /a character other than/],
    ['/a"b', /a character other than/],
  ];
  for (const [prefix, reason] of cases) {
    const problem = assertOneProblem(withRules({ prefix: '/ok' }, { prefix }), 'protect[1].prefix', reason);
    assert.match(problem, /is not a canonical path/);
  }
});

test('login_paths and gateway.path get the same check', () => {
  assertOneProblem(rawWith({ upstream: { login_paths: ['/admin/login/', '/x/../login'] } }), 'upstream.login_paths[1]', /not a canonical path/);
  assertOneProblem(rawWith({ gateway: { path: '/_otp gate' } }), 'gateway.path', /not a canonical path/);
  assertOneProblem(rawWith({ gateway: { path: '/' } }), 'gateway.path', /must not be "\/"/);
  assert.equal(resolve(rawWith({ gateway: { path: '/_Auth/' } })).gateway.path, '/_auth');
});

test('a duplicate rule is an error naming both rules', () => {
  for (const [first, second] of [
    [{ prefix: '/admin/' }, { prefix: '/ADMIN', require: 'login' }],
    [{ prefix: '/api', methods: ['POST', 'PUT'] }, { prefix: '/api/', methods: ['put', 'post'] }],
  ] as Array<[Rule, Rule]>) {
    assertOneProblem(withRules({ prefix: '/other' }, first, second), 'protect[2]', /duplicates protect\[1\] \(prefix "\/(admin|api)"/);
  }
});

test('a rule under an earlier, wider prefix with all methods is shadowed', () => {
  const problem = assertOneProblem(
    withRules({ prefix: '/admin/' }, { prefix: '/admin/users/', require: 'deny' }),
    'protect[1]',
    /can never match/,
  );
  assert.match(problem, /prefix "\/admin\/users", all methods/);
  assert.match(problem, /protect\[0\] \(prefix "\/admin", all methods\) comes first/);
  assertOneProblem(withRules({ prefix: '/' }, { prefix: '/anything' }), 'protect[1]', /protect\[0\] \(prefix "\/"/);
});

test('shadowing takes methods into account', () => {
  // The earlier rule's methods include all of the later one's: shadowed.
  assertOneProblem(
    withRules({ prefix: '/api', methods: ['POST', 'PUT', 'DELETE'] }, { prefix: '/api/items', methods: ['PUT'] }),
    'protect[1]',
    /can never match \(prefix "\/api\/items", methods PUT\): protect\[0\] \(prefix "\/api", methods POST, PUT, DELETE\)/,
  );
  // An earlier rule for all methods shadows a later rule for some.
  assertOneProblem(withRules({ prefix: '/api' }, { prefix: '/api', methods: ['GET'] }), 'protect[1]', /can never match/);
});

test('a rule is not shadowed when the earlier rule covers other methods', () => {
  const config = resolve(
    withRules(
      { prefix: '/api', methods: ['POST'] },
      { prefix: '/api', methods: ['GET'] }, // same prefix, other method
      { prefix: '/api/items', methods: ['POST', 'PUT'] }, // PUT is not covered by protect[0]
      { prefix: '/api' }, // all methods: GET and POST are taken, the rest are not
    ),
  );
  assert.equal(config.protect.length, 4);
});

test('a rule is not shadowed by a later rule, nor by a prefix that is not a whole segment', () => {
  const config = resolve(
    withRules({ prefix: '/admin/users' }, { prefix: '/admin' }, { prefix: '/administrator' }, { prefix: '/adm' }),
  );
  assert.equal(config.protect.length, 4);
});

test('groups and require do not change which rule matches first', () => {
  assertOneProblem(
    withRules({ prefix: '/staff', require: 'login', groups: ['staff'] }, { prefix: '/staff/admin', require: 'otp', groups: ['admin'] }),
    'protect[1]',
    /can never match/,
  );
});

test('rules under gateway.path can never match', () => {
  assertOneProblem(withRules({ prefix: '/_otpgate/login' }), 'protect[0].prefix', /lies under gateway\.path "\/_otpgate"/);
  assertOneProblem(
    rawWith({ gateway: { path: '/auth' }, protect: [{ prefix: '/AUTH/', require: 'deny' }] }),
    'protect[0].prefix',
    /lies under gateway\.path "\/auth"/,
  );
  assertOneProblem(rawWith({ upstream: { login_paths: ['/_otpgate/login'] } }), 'upstream.login_paths[0]', /lies under gateway\.path/);
  // A prefix that merely starts with the same letters is a different path.
  assert.equal(resolve(withRules({ prefix: '/_otpgateway' })).protect.length, 1);
});

test('a bad rule does not hide the order problems of the others', () => {
  const problems = problemsOf(withRules({ prefix: '/a' }, { prefix: 'bad' }, { prefix: '/a/b' }));
  assert.equal(problems.length, 2);
  assert.match(problems[0] ?? '', /^protect\[1\]\.prefix: /);
  assert.match(problems[1] ?? '', /^protect\[2\]: can never match/);
});
