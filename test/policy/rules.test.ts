import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProtectRule, Requirement } from '../../src/config/types.ts';
import { AMBIGUOUS_MATCH, compileRules, isUnderPrefix } from '../../src/policy/rules.ts';

function rule(index: number, prefix: string, require: Requirement, extra: Partial<ProtectRule> = {}): ProtectRule {
  return { index, prefix, require, methods: null, groups: null, ...extra };
}

describe('compileRules', () => {
  it('falls back to the default when no rule matches', () => {
    const matcher = compileRules([rule(0, '/admin', 'otp')], 'login');
    assert.deepEqual(matcher.match('/shop/', 'GET'), { requirement: 'login', rule: null });
  });

  it('takes the first matching rule, not the longest', () => {
    const rules = [rule(0, '/admin', 'login'), rule(1, '/admin/secret', 'deny')];
    const matcher = compileRules(rules, 'public');
    assert.equal(matcher.match('/admin/secret/x', 'GET').rule, rules[0]);
    const reversed = compileRules([rules[1]!, rules[0]!], 'public');
    assert.equal(reversed.match('/admin/secret/x', 'GET').rule, rules[1]);
    assert.equal(reversed.match('/admin/other', 'GET').rule, rules[0]);
  });

  it('is segment-aware and case-insensitive', () => {
    const matcher = compileRules([rule(0, '/admin', 'otp')], 'public');
    for (const path of ['/admin', '/admin/', '/ADMIN/x', '/Admin;x/y', '/;x/admin', '/admin;/', '/;/;y/admin/z']) {
      assert.equal(matcher.match(path, 'GET').requirement, 'otp', path);
    }
    for (const path of ['/', '/administrator', '/admi', '/admin%3Bx', '/x/admin', '/admin-x/']) {
      assert.equal(matcher.match(path, 'GET').requirement, 'public', path);
    }
  });

  it('compares escapes decoded, so a prefix may hold characters a path keeps encoded', () => {
    const matcher = compileRules([rule(0, '/a:b', 'otp'), rule(1, '/caf%c3%a9', 'login')], 'public');
    assert.equal(matcher.match('/a%3Ab/', 'GET').requirement, 'otp');
    assert.equal(matcher.match('/a:b', 'GET').requirement, 'otp');
    assert.equal(matcher.match('/CAF%C3%A9/menu', 'GET').requirement, 'login');
    assert.equal(matcher.match('/caf%C3%A8', 'GET').requirement, 'public');
  });

  it('matches multi-segment prefixes segment by segment', () => {
    const matcher = compileRules([rule(0, '/api/v1/admin', 'otp')], 'public');
    assert.equal(matcher.match('/API/V1;x/admin/users', 'GET').requirement, 'otp');
    assert.equal(matcher.match('/api/v1/administrator', 'GET').requirement, 'public');
    assert.equal(matcher.match('/api/v1', 'GET').requirement, 'public');
  });

  it('lets the root rule match everything', () => {
    const matcher = compileRules([rule(0, '/', 'login')], 'public');
    for (const path of ['/', '/x', '/admin/y', '/;x']) assert.equal(matcher.match(path, 'GET').requirement, 'login');
  });

  it('applies a rule only to its methods', () => {
    const rules = [rule(0, '/api', 'login', { methods: ['POST', 'DELETE'] }), rule(1, '/api', 'public')];
    const matcher = compileRules(rules, 'otp');
    assert.equal(matcher.match('/api/x', 'POST').rule, rules[0]);
    assert.equal(matcher.match('/api/x', 'DELETE').rule, rules[0]);
    assert.equal(matcher.match('/api/x', 'GET').rule, rules[1]);
    assert.equal(matcher.match('/other', 'POST').rule, null);
  });

  it('applies a GET rule to HEAD too, which upstreams serve with their GET handler', () => {
    const matcher = compileRules([rule(0, '/reports', 'otp', { methods: ['get'] })], 'public');
    assert.equal(matcher.match('/reports/', 'GET').requirement, 'otp');
    assert.equal(matcher.match('/reports/', 'HEAD').requirement, 'otp');
    assert.equal(matcher.match('/reports/', 'POST').requirement, 'public');
  });

  it('denies a path whose trailing-dot or space reading falls under a different requirement', () => {
    const matcher = compileRules([rule(0, '/admin', 'otp'), rule(1, '/', 'login')], 'public');
    assert.equal(matcher.match('/admin./x', 'GET'), AMBIGUOUS_MATCH);
    assert.equal(matcher.match('/admin%20', 'GET'), AMBIGUOUS_MATCH);
    assert.equal(matcher.match('/admin.x', 'GET').requirement, 'login');
    assert.equal(matcher.match('/docs./x', 'GET').requirement, 'login');
  });

  it('does not deny when both readings require the same, but does when their groups differ', () => {
    const same = compileRules([rule(0, '/admin', 'otp'), rule(1, '/', 'otp')], 'public');
    assert.equal(same.match('/admin.', 'GET').requirement, 'otp');
    const groups = compileRules([rule(0, '/admin', 'otp', { groups: ['admins'] }), rule(1, '/', 'otp')], 'public');
    assert.equal(groups.match('/admin.', 'GET'), AMBIGUOUS_MATCH);
    assert.equal(groups.match('/admin', 'GET').rule?.index, 0);
  });

  it('sees trailing dots only in the segments a prefix can reach', () => {
    const matcher = compileRules([rule(0, '/admin', 'otp')], 'public');
    assert.equal(matcher.match('/admin/x./y.', 'GET').requirement, 'otp');
    assert.equal(matcher.match('/x./admin', 'GET').requirement, 'public');
  });

  it('refuses a prefix that is not a path', () => {
    assert.throws(() => compileRules([rule(3, 'admin', 'otp')], 'public'), /protect\[3\]\.prefix/);
  });
});

describe('isUnderPrefix', () => {
  it('has the rules semantics', () => {
    assert.equal(isUnderPrefix('/_otpgate/login', '/_otpgate'), true);
    assert.equal(isUnderPrefix('/_OTPGATE', '/_otpgate'), true);
    assert.equal(isUnderPrefix('/_otpgate;x/verify', '/_otpgate'), true);
    assert.equal(isUnderPrefix('/;a/_otpgate/', '/_otpgate'), true);
    assert.equal(isUnderPrefix('/_otpgatex/login', '/_otpgate'), false);
    assert.equal(isUnderPrefix('/x/_otpgate', '/_otpgate'), false);
    assert.equal(isUnderPrefix('/admin/login/', '/admin/login'), true);
    assert.equal(isUnderPrefix('/admin/login', '/admin/login'), true);
    assert.equal(isUnderPrefix('/admin/', '/admin/login'), false);
    assert.equal(isUnderPrefix('/anything', '/'), true);
  });

  it('answers yes when either reading is under the prefix', () => {
    assert.equal(isUnderPrefix('/_otpgate./login', '/_otpgate'), true);
    assert.equal(isUnderPrefix('/admin/login%20/', '/admin/login'), true);
  });
});
