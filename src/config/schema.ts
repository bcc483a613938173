// The shape of the config file, section by section: strict objects (unknown
// keys are errors), types, ranges and the SPEC's defaults, with each value
// converted to its resolved form. Checks that span sections (rules against
// the gateway path, ...) are in ./resolve.ts and ./rules.ts.
import { z } from 'zod';
import { DURATION_HELP, parseDuration } from './duration.ts';
import {
  SESSION_SECRET_MIN,
  isToken,
  parseAddressOrCidr,
  parseCookieName,
  parseEncryptionKey,
  parseHexColour,
  parseHostPort,
  parseHttpUrl,
  parseOrigin,
  parseRedisUrl,
  parseWebhookSecret,
} from './formats.ts';
import { SUBSCRIBABLE_EVENTS } from '../webhooks/events.ts';
import { InvalidValue } from './invalid-value.ts';
import { canonicalPrefix } from './paths.ts';
import { describeValue } from './problems.ts';
import { REQUIREMENTS } from './types.ts';
import type { Config, ProtectRule, RedisConfig } from './types.ts';

export { SUBSCRIBABLE_EVENTS as WEBHOOK_EVENTS } from '../webhooks/events.ts';

// ---- building blocks -------------------------------------------------------

/** YAML writes an emptied section or list (`store:` with its lines commented out) as null: treat it as absent. */
const nullAsAbsent = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === null ? undefined : value), schema);

/**
 * A value written as text and converted by `parse`, which throws InvalidValue
 * with the reason. `accept` lets a non-string through (the number 0 for durations).
 */
function converted<T>(
  expected: string,
  parse: (text: string) => T,
  accept?: (value: unknown) => T | undefined,
) {
  return z.unknown().transform((value, ctx): T => {
    const fail = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (value === undefined) return fail('is required');
    try {
      const accepted = accept?.(value);
      if (accepted !== undefined) return accepted;
      if (typeof value !== 'string') return fail(`expected ${expected}, got ${describeValue(value)}`);
      return parse(value);
    } catch (err) {
      if (err instanceof InvalidValue) return fail(err.message);
      throw err;
    }
  });
}

/** A duration; the number 0 is accepted as written, since YAML reads `0` as a number. */
const duration = (opts: { allowZero: boolean }) =>
  converted(
    `a duration (${DURATION_HELP})`,
    (text) => {
      const ms = parseDuration(text);
      if (ms === 0 && !opts.allowZero) throw new InvalidValue('must be longer than 0');
      return ms;
    },
    (value) => {
      if (typeof value !== 'number') return undefined;
      if (value === 0 && opts.allowZero) return 0;
      throw new InvalidValue(`${value} has no unit: ${DURATION_HELP}`);
    },
  );

const listenAddress = converted('an address such as 0.0.0.0:8080 (quote an IPv6 address: "[::1]:8080")', (text) =>
  parseHostPort(text, { anyHost: '0.0.0.0', minPort: 0 }),
);

const redisNode = converted('host:port', (text) => parseHostPort(text, { minPort: 1 }));

const text = (what = 'text') =>
  converted(what, (value) => {
    if (value.trim() === '') throw new InvalidValue('must not be empty');
    if (/\p{Cc}/u.test(value)) throw new InvalidValue('must not contain control characters');
    return value;
  });

const path = converted('a path such as /admin/', canonicalPrefix);

// ${VAR} substitution always yields text (see env.ts), so `enforce: ${ENFORCE}`
// arrives as "true". Booleans and whole numbers therefore also accept their
// exact text forms; anything else is still a type error.
const int = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^-?\d{1,9}$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max));
const bool = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

const section = <S extends z.ZodRawShape, T>(shape: S, convert: (parsed: z.output<z.ZodObject<S>>) => T) =>
  nullAsAbsent(z.strictObject(shape).transform(convert).prefault({} as never));

// ---- sections ------------------------------------------------------------------

const server = section(
  {
    listen: listenAddress.prefault('0.0.0.0:8080'),
    public_url: nullAsAbsent(converted('a URL such as https://app.example.com', parseOrigin).optional()),
    trusted_proxies: nullAsAbsent(
      z.array(converted('an IP address or CIDR block', parseAddressOrCidr)).default([]),
    ),
    access_log: bool().default(false),
  },
  (s): Config['server'] => ({
    listen: s.listen,
    publicUrl: s.public_url ?? null,
    trustedProxies: s.trusted_proxies,
    accessLog: s.access_log,
  }),
);

const upstream = section(
  {
    url: converted('a URL such as http://127.0.0.1:8000', (value) => {
      const url = parseHttpUrl(value, { allowQuery: false });
      // Requests keep their own path; a base path here would be silently ignored.
      if (url.pathname !== '/') {
        throw new InvalidValue(`${JSON.stringify(value)} must be the application's origin, such as http://127.0.0.1:8000, without a path`);
      }
      return url;
    }),
    timeout: duration({ allowZero: false }).prefault('30s'),
    login_paths: nullAsAbsent(z.array(path).default([])),
  },
  (s): Config['upstream'] => ({ url: s.url, timeoutMs: s.timeout, loginPaths: s.login_paths }),
);

const gatewayPath = converted('a path such as /_otpgate', (value) => {
  const canonical = canonicalPrefix(value);
  if (canonical === '/') throw new InvalidValue('must not be "/": the gateway\'s pages need a prefix of their own');
  return canonical;
});

const gateway = section(
  {
    path: gatewayPath.prefault('/_otpgate'),
    title: text().prefault('otpgate'),
    logo: nullAsAbsent(text('a file path').optional()),
    accent_color: converted('a hex colour such as "#2563eb" (quote it: # starts a YAML comment)', parseHexColour).prefault(
      '#2563eb',
    ),
  },
  // `logo` is still relative here; ./resolve.ts resolves it against the config's folder.
  (s): Config['gateway'] => ({ path: s.path, title: s.title, logo: s.logo ?? null, accentColor: s.accent_color }),
);

const redis = z
  .strictObject({
    url: nullAsAbsent(converted('a URL such as redis://127.0.0.1:6379/0', parseRedisUrl).optional()),
    sentinels: nullAsAbsent(z.array(redisNode).min(1, 'must list at least one host:port').optional()),
    name: nullAsAbsent(text('the Sentinel master name').optional()),
    cluster: nullAsAbsent(z.array(redisNode).min(1, 'must list at least one host:port').optional()),
    key_prefix: z.string().default('otpgate:'),
  })
  .transform((s, ctx): RedisConfig => {
    const kinds = [s.url, s.sentinels, s.cluster].filter((kind) => kind !== undefined).length;
    if (kinds !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `set exactly one of url, sentinels (with name) or cluster${kinds > 1 ? ', not several' : ''}`,
      });
    }
    if (s.sentinels !== undefined && s.name === undefined) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required with sentinels (the master name)' });
    }
    if (s.name !== undefined && s.sentinels === undefined) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'is only used with sentinels' });
    }
    return {
      url: s.url ?? null,
      sentinels: s.sentinels ?? null,
      name: s.name ?? null,
      cluster: s.cluster ?? null,
      keyPrefix: s.key_prefix,
    };
  });

const store = section({ redis: nullAsAbsent(redis.optional()) }, (s): Config['store'] => ({ redis: s.redis ?? null }));

const secrets = section(
  {
    session: converted(`text of at least ${SESSION_SECRET_MIN} characters`, (value) => {
      if (value.length < SESSION_SECRET_MIN) {
        throw new InvalidValue(`must be at least ${SESSION_SECRET_MIN} characters long (it has ${value.length})`);
      }
      return value;
    }),
    encryption_key: converted('32 bytes in base64 (openssl rand -base64 32)', parseEncryptionKey),
  },
  (s): Config['secrets'] => ({ session: s.session, encryptionKey: s.encryption_key }),
);

const session = section(
  {
    cookie: converted('a cookie name', parseCookieName).prefault('otpgate_session'),
    idle_timeout: duration({ allowZero: false }).prefault('30m'),
    max_age: duration({ allowZero: false }).prefault('12h'),
    remember_device: duration({ allowZero: true }).prefault('30d'),
  },
  (s): Config['session'] => ({
    cookie: s.cookie,
    idleTimeoutMs: s.idle_timeout,
    maxAgeMs: s.max_age,
    rememberDeviceMs: s.remember_device,
  }),
).superRefine((s, ctx) => {
  if (s.idleTimeoutMs > s.maxAgeMs) {
    ctx.addIssue({ code: 'custom', path: ['idle_timeout'], message: 'must not be longer than session.max_age' });
  }
});

const users = section({ file: text('a file path').prefault('./users.yaml') }, (s): Config['users'] => ({
  file: s.file,
}));

const totp = section(
  {
    digits: int(6, 8).default(6),
    period: int(10, 120).default(30),
    algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1'),
    window: int(0, 10).default(1),
  },
  (s): Config['twoFactor']['totp'] => s,
);

const throttle = section(
  {
    free_failures: int(0, 1000).default(3),
    lockout_failures: int(1, 1000).default(10),
    window: duration({ allowZero: false }).prefault('15m'),
    lockout: duration({ allowZero: false }).prefault('15m'),
  },
  (s): Config['twoFactor']['throttle'] => ({
    freeFailures: s.free_failures,
    lockoutFailures: s.lockout_failures,
    windowMs: s.window,
    lockoutMs: s.lockout,
  }),
);

const twoFactor = section(
  { enforce: bool().default(false), backup_codes: int(1, 50).default(10), totp, throttle },
  (s): Config['twoFactor'] => ({ enforce: s.enforce, backupCodes: s.backup_codes, totp: s.totp, throttle: s.throttle }),
);

// Methods that never reach a rule: the gateway answers them with 405.
const REFUSED_METHODS = new Set(['CONNECT', 'TRACE']);

const method = converted('a method name such as POST', (value) => {
  const upper = value.toUpperCase();
  if (!isToken(upper)) throw new InvalidValue(`${JSON.stringify(value)} is not a method name`);
  if (REFUSED_METHODS.has(upper)) throw new InvalidValue(`${upper} requests are always refused (405), so a rule for them never applies`);
  return upper;
});

/** One `protect:` entry, without its index (./resolve.ts parses the list entry by entry). */
export const protectRule = z
  .strictObject({
    prefix: path,
    require: z.enum(REQUIREMENTS),
    methods: nullAsAbsent(
      z.array(method).min(1, 'must not be empty: leave methods out for a rule that applies to every method').optional(),
    ),
    groups: nullAsAbsent(
      z.array(text('a group name')).min(1, 'must not be empty: leave groups out for no group check').optional(),
    ),
  })
  .transform((s, ctx): Omit<ProtectRule, 'index'> => {
    if (s.groups !== undefined && (s.require === 'public' || s.require === 'deny')) {
      ctx.addIssue({
        code: 'custom',
        path: ['groups'],
        message: `has no effect with require: ${s.require}; use login, otp or otp_if_configured`,
      });
    }
    return {
      prefix: s.prefix,
      require: s.require,
      methods: s.methods === undefined ? null : [...new Set(s.methods)],
      groups: s.groups === undefined ? null : [...new Set(s.groups)],
    };
  });

/** `protect:` itself: a list (its entries are checked one by one). */
export const protectList = nullAsAbsent(z.array(z.unknown()).default([]));

const requirement = z.enum(REQUIREMENTS).default('public');

/** A header name as servers that merge "_" and "." with "-" see it. */
const foldHeaderName = (name: string): string => name.toLowerCase().replace(/[_.]/g, '-');

// Headers HTTP or the proxy itself gives a meaning: an identity header must not be one of them.
const RESERVED_HEADERS = new Set(
  [
    'host', 'cookie', 'set-cookie', 'authorization', 'proxy-authorization', 'content-length', 'content-type',
    'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'forwarded', 'x-forwarded-for',
    'x-forwarded-proto', 'x-forwarded-host', 'x-original-url', 'x-rewrite-url', 'x-forwarded-uri', 'x-forwarded-prefix',
  ],
);

const headerName = converted('a header name', (value) => {
  if (!isToken(value)) throw new InvalidValue(`${JSON.stringify(value)} is not a valid header name`);
  if (RESERVED_HEADERS.has(foldHeaderName(value))) {
    throw new InvalidValue(`${value} has another meaning in HTTP or to the gateway; choose another name`);
  }
  return value;
});

const headers = section(
  {
    verified: headerName.prefault('X-User-Verified'),
    user: headerName.prefault('X-Forwarded-User'),
    email: headerName.prefault('X-Forwarded-Email'),
    groups: headerName.prefault('X-Forwarded-Groups'),
    device: headerName.prefault('X-User-Device'),
  },
  (s): Config['headers'] => s,
).superRefine((names, ctx) => {
  // The proxy strips client-sent copies of these headers in every spelling
  // ("_" or "." for "-"), so two of them must not be one header in that form.
  const seen = new Map<string, string>();
  for (const [key, name] of Object.entries(names)) {
    const other = seen.get(foldHeaderName(name));
    if (other !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: `${name} is the same header as headers.${other}` });
    } else {
      seen.set(foldHeaderName(name), key);
    }
  }
});

const webhookEvent = z.enum(['*', ...SUBSCRIBABLE_EVENTS]);

const webhook = z
  .strictObject({
    url: converted('a URL such as https://hooks.example.com/otpgate', (value) =>
      parseHttpUrl(value, { allowQuery: true }),
    ),
    secret: converted('a "whsec_..." secret', parseWebhookSecret),
    events: z.array(webhookEvent).min(1, 'must list at least one event type, or "*"'),
  })
  .transform((s): Config['webhooks'][number] => ({
    url: s.url,
    secret: s.secret,
    events: s.events.includes('*') ? ['*'] : [...new Set(s.events)],
  }));

const webhooks = nullAsAbsent(z.array(webhook).default([]));

const metrics = section(
  { listen: nullAsAbsent(listenAddress.optional()) },
  (s): Config['metrics'] => ({ listen: s.listen ?? null }),
);

/**
 * Every top-level key and its schema, in the order problems are reported.
 * `protect` is absent: its entries are parsed one by one (see ./resolve.ts).
 */
export const sections = {
  server,
  upstream,
  gateway,
  store,
  secrets,
  session,
  users,
  two_factor: twoFactor,
  default: requirement,
  headers,
  webhooks,
  metrics,
};

export const TOP_LEVEL_KEYS = ['server', 'upstream', 'gateway', 'store', 'secrets', 'session', 'users', 'two_factor', 'protect', 'default', 'headers', 'webhooks', 'metrics'];
