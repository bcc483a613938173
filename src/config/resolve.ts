// From the parsed YAML (or any plain object) to a checked Config: ${VAR}
// substitution, then every section validated on its own so that one bad
// value does not hide the problems elsewhere, then the checks that span
// sections. All problems are collected and thrown together.
import { resolve as resolvePath } from 'node:path';
import { ConfigError } from '../errors.ts';
import { substituteEnv } from './env.ts';
import { isUnderPrefix } from './paths.ts';
import { configErrorMap, describeValue, issuesToProblems, problemAt } from './problems.ts';
import { gatewayPathProblems, ruleOrderProblems } from './rules.ts';
import { TOP_LEVEL_KEYS, protectList, protectRule, sections } from './schema.ts';
import type { Config, ProtectRule } from './types.ts';
import type { z } from 'zod';

export interface ResolveOptions {
  /** Folder relative paths in the config are resolved against (the config file's folder). */
  baseDir: string;
  /** Source of ${VAR} values; process.env when omitted. */
  env?: NodeJS.ProcessEnv;
}

type Sections = { [K in keyof typeof sections]: z.output<(typeof sections)[K]> };

/** A checked, defaulted Config; throws ConfigError listing every problem found. */
export function resolveConfig(raw: unknown, opts: ResolveOptions): Config {
  const problems: string[] = [];
  const substituted = substituteEnv(raw, opts.env ?? process.env);
  const schemaProblems: string[] = [];
  const config = checkedConfig(substituted.value, resolvePath(opts.baseDir), schemaProblems);

  // A value whose variable is missing was already reported by name; whatever
  // the schema then says about the empty value would only be noise.
  const failed = substituted.failedPaths;
  const isAboutFailedValue = (problem: string): boolean =>
    failed.some((key) => [':', '.', '['].some((next) => problem.startsWith(key + next)));
  problems.push(...substituted.problems, ...schemaProblems.filter((problem) => !isAboutFailedValue(problem)));

  if (problems.length > 0 || config === null) throw new ConfigError(problems);
  return config;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function checkedConfig(value: unknown, baseDir: string, problems: string[]): Config | null {
  if (!isPlainObject(value)) {
    problems.push(problemAt([], `expected a mapping of settings (server:, upstream:, ...), got ${describeValue(value)}`));
    return null;
  }
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      problems.push(problemAt([key], `unknown key (known keys here: ${TOP_LEVEL_KEYS.join(', ')})`));
    }
  }

  const parsed: Partial<Sections> = {};
  for (const [key, schema] of Object.entries(sections)) {
    const result = schema.safeParse(value[key], { error: configErrorMap });
    if (result.success) (parsed as Record<string, unknown>)[key] = result.data;
    else problems.push(...issuesToProblems(result.error.issues, [key]));
  }
  const rules = parseRules(value.protect, problems);
  problems.push(...crossSectionProblems(parsed, rules));

  if (problems.length > 0) return null;
  const s = parsed as Sections;
  return {
    baseDir,
    server: s.server,
    upstream: s.upstream,
    gateway: { ...s.gateway, logo: s.gateway.logo === null ? null : resolvePath(baseDir, s.gateway.logo) },
    store: s.store,
    secrets: s.secrets,
    session: s.session,
    users: { file: resolvePath(baseDir, s.users.file) },
    twoFactor: s.two_factor,
    protect: rules,
    default: s.default,
    headers: s.headers,
    webhooks: s.webhooks,
    metrics: s.metrics,
  };
}

/** The valid rules, each parsed on its own so the order checks still see the good ones. */
function parseRules(raw: unknown, problems: string[]): ProtectRule[] {
  const list = protectList.safeParse(raw, { error: configErrorMap });
  if (!list.success) {
    problems.push(...issuesToProblems(list.error.issues, ['protect']));
    return [];
  }
  const rules: ProtectRule[] = [];
  list.data.forEach((entry, index) => {
    const rule = protectRule.safeParse(entry, { error: configErrorMap });
    if (rule.success) rules.push({ index, ...rule.data });
    else problems.push(...issuesToProblems(rule.error.issues, ['protect', index]));
  });
  problems.push(...ruleOrderProblems(rules));
  return rules;
}

function crossSectionProblems(s: Partial<Sections>, rules: readonly ProtectRule[]): string[] {
  const problems: string[] = [];
  const gatewayPath = s.gateway?.path;
  if (gatewayPath !== undefined) {
    problems.push(...gatewayPathProblems(rules, gatewayPath));
    s.upstream?.loginPaths.forEach((loginPath, index) => {
      if (isUnderPrefix(loginPath, gatewayPath)) {
        problems.push(
          problemAt(['upstream', 'login_paths', index], `${JSON.stringify(loginPath)} lies under gateway.path ${JSON.stringify(gatewayPath)}`),
        );
      }
    });
  }
  const metricsListen = s.metrics?.listen;
  const serverListen = s.server?.listen;
  if (metricsListen && serverListen && metricsListen.port !== 0 && metricsListen.port === serverListen.port) {
    const anyHost = (host: string): boolean => host === '0.0.0.0' || host === '::';
    if (metricsListen.host === serverListen.host || anyHost(metricsListen.host) || anyHost(serverListen.host)) {
      problems.push(problemAt(['metrics', 'listen'], `port ${metricsListen.port} is already server.listen's`));
    }
  }
  return problems;
}
