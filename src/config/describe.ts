// A readable summary of a resolved config, printed by `otpgate check-config`
// so an operator sees the rules exactly as the gateway will apply them.
import type { Config, HostPort } from './types.ts';

const hostPort = ({ host, port }: HostPort): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** A redis URL without its password, safe to print. */
function redactedUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function describeStore(config: Config): string {
  const redis = config.store.redis;
  if (redis === null) return 'memory (embedded: one process, development only)';
  const prefix = `key prefix ${JSON.stringify(redis.keyPrefix)}`;
  if (redis.url !== null) return `redis ${redactedUrl(redis.url)}, ${prefix}`;
  if (redis.sentinels !== null) {
    return `redis sentinel, master ${JSON.stringify(redis.name)} via ${redis.sentinels.map(hostPort).join(', ')}, ${prefix}`;
  }
  return `redis cluster ${(redis.cluster ?? []).map(hostPort).join(', ')}, ${prefix}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
}

/** The gateway path, upstream, store and the rules in order (first match wins), then the default. */
export function describeRules(config: Config): string {
  const lines = [
    `upstream    ${config.upstream.url.toString()}`,
    `gateway     ${config.gateway.path} (the gateway's own pages, never proxied)`,
    `store       ${describeStore(config)}`,
    `two-factor  ${config.twoFactor.enforce ? 'enforced: users without a device must enrol' : 'opt-in per user'}`,
  ];
  for (const loginPath of config.upstream.loginPaths) {
    lines.push(`login path  ${loginPath} -> ${config.gateway.path}/login`);
  }
  lines.push('');
  lines.push(
    ...table([
      ['rule', 'prefix', 'methods', 'groups', 'require'],
      ...config.protect.map((rule) => [
        `protect[${rule.index}]`,
        rule.prefix,
        rule.methods?.join(',') ?? '*',
        rule.groups?.join(',') ?? '-',
        rule.require,
      ]),
      ['default', '(anything else)', '*', '-', config.default],
    ]),
  );
  lines.push('', 'Rules are checked in this order; the first whose prefix and methods match wins.');
  return `${lines.join('\n')}\n`;
}
