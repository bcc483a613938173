// Micro-benchmark of the per-request policy work: canonicalise the request
// target and match it against the rules, next to WHATWG URL parsing of the
// same target as a yardstick. Run: node --import tsx bench/policy.ts
import type { ProtectRule } from '../src/config/types.ts';
import { canonicalizeTarget } from '../src/policy/canonical.ts';
import { compileRules } from '../src/policy/rules.ts';

const rules: ProtectRule[] = [
  { index: 0, prefix: '/admin', require: 'otp', methods: null, groups: null },
  { index: 1, prefix: '/admindocs', require: 'otp', methods: null, groups: null },
  { index: 2, prefix: '/api', require: 'login', methods: ['POST', 'PUT', 'PATCH', 'DELETE'], groups: ['staff'] },
  { index: 3, prefix: '/static', require: 'public', methods: null, groups: null },
];
const matcher = compileRules(rules, 'public');

const TARGETS = {
  typical: '/admin/auth/user/42/change/?_changelist_filters=q%3Dalice',
  encoded: '/shop/caf%c3%a9/./items/../%7Eoffers;jsessionid=1/',
};

const ITERATIONS = 1_000_000;
// Results are folded into this value so the work cannot be optimised away.
let sink = 0;

function nsPerOp(work: () => void): number {
  for (let i = 0; i < ITERATIONS / 10; i++) work(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) work();
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

for (const [name, target] of Object.entries(TARGETS)) {
  const policy = nsPerOp(() => {
    const result = canonicalizeTarget(target);
    if (result.ok) sink += matcher.match(result.path, 'GET').requirement.length;
  });
  const url = nsPerOp(() => {
    sink += new URL(target, 'http://localhost').pathname.length;
  });
  console.log(
    `${name.padEnd(8)} canonicalize+match ${policy.toFixed(0).padStart(5)} ns/op   new URL() ${url.toFixed(0).padStart(5)} ns/op   ${JSON.stringify(target)}`,
  );
}
if (sink === 0) console.log('(nothing matched)');
