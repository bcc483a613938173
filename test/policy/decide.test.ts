import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProtectRule, Requirement } from '../../src/config/types.ts';
import { decide } from '../../src/policy/decide.ts';
import type { Decision, MatchedRule, Subject } from '../../src/policy/types.ts';

function matched(requirement: Requirement, groups: string[] | null = null): MatchedRule {
  const rule: ProtectRule = { index: 0, prefix: '/p', require: requirement, methods: null, groups };
  return { requirement, rule };
}

function user(verified: boolean, hasDevice: boolean, groups: string[] = []): Subject {
  return { kind: 'user', username: 'alice', groups, verified, hasDevice };
}

const SUBJECTS = {
  anonymous: { kind: 'anonymous' } as Subject,
  noDevice: user(false, false),
  unverified: user(false, true),
  verified: user(true, true),
};
type SubjectName = keyof typeof SUBJECTS;

const allow: Decision = { kind: 'allow' };
const login: Decision = { kind: 'login' };
const verify: Decision = { kind: 'verify' };
const setup: Decision = { kind: 'setup' };
const deny: Decision = { kind: 'forbidden', reason: 'deny' };
const groups: Decision = { kind: 'forbidden', reason: 'groups' };

// requirement x subject, with enforce off and on.
const EXPECTED: Record<Requirement, Record<SubjectName, [enforceOff: Decision, enforceOn: Decision]>> = {
  public: { anonymous: [allow, allow], noDevice: [allow, allow], unverified: [allow, allow], verified: [allow, allow] },
  login: { anonymous: [login, login], noDevice: [allow, setup], unverified: [allow, allow], verified: [allow, allow] },
  otp: { anonymous: [login, login], noDevice: [setup, setup], unverified: [verify, verify], verified: [allow, allow] },
  otp_if_configured: {
    anonymous: [login, login],
    noDevice: [allow, setup],
    unverified: [verify, verify],
    verified: [allow, allow],
  },
  deny: { anonymous: [deny, deny], noDevice: [deny, deny], unverified: [deny, deny], verified: [deny, deny] },
};

describe('decide', () => {
  for (const [requirement, bySubject] of Object.entries(EXPECTED) as [Requirement, (typeof EXPECTED)['public']][]) {
    for (const [name, [off, on]] of Object.entries(bySubject) as [SubjectName, [Decision, Decision]][]) {
      it(`${requirement}, ${name}: ${off.kind} (enforce off), ${on.kind} (enforce on)`, () => {
        assert.deepEqual(decide(matched(requirement), SUBJECTS[name], false), off);
        assert.deepEqual(decide(matched(requirement), SUBJECTS[name], true), on);
      });
    }
  }

  it('applies the default requirement when no rule matched', () => {
    assert.deepEqual(decide({ requirement: 'otp', rule: null }, SUBJECTS.unverified, false), verify);
    assert.deepEqual(decide({ requirement: 'public', rule: null }, SUBJECTS.anonymous, true), allow);
  });

  for (const requirement of ['login', 'otp', 'otp_if_configured'] as const) {
    it(`${requirement} with groups: a member passes, a non-member gets 403 whatever their factor`, () => {
      const rule = matched(requirement, ['staff', 'ops']);
      assert.deepEqual(decide(rule, user(true, true, ['ops']), false), allow);
      assert.deepEqual(decide(rule, user(true, true, ['guests']), false), groups);
      assert.deepEqual(decide(rule, user(false, true, []), false), groups);
      assert.deepEqual(decide(rule, user(false, false, ['Staff']), true), groups);
      // Anonymous users are asked to log in first: their groups are unknown.
      assert.deepEqual(decide(rule, SUBJECTS.anonymous, false), login);
    });
  }

  it('ignores groups on public and deny rules', () => {
    assert.deepEqual(decide(matched('public', ['staff']), SUBJECTS.anonymous, false), allow);
    assert.deepEqual(decide(matched('deny', ['staff']), user(true, true, ['staff']), false), deny);
  });

  it('a verified user whose device was removed must enrol again under enforce', () => {
    assert.deepEqual(decide(matched('otp'), user(true, false), true), setup);
    assert.deepEqual(decide(matched('otp'), user(true, false), false), allow);
  });
});
