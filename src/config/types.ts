// The resolved configuration: what the rest of otpgate reads. The YAML shape
// (snake_case keys, duration strings) is parsed and validated in ./load.ts;
// everything here is already checked, defaulted and converted.

export const REQUIREMENTS = ['public', 'login', 'otp', 'otp_if_configured', 'deny'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface HostPort {
  host: string;
  port: number;
}

export interface ProtectRule {
  /** Position in `protect:` (0-based), used to name the rule in messages: `protect[2]`. */
  index: number;
  /** Canonical, lower-case prefix without a trailing slash ("/admin"); the root rule is "/". */
  prefix: string;
  require: Requirement;
  /** Upper-case method names, or null when the rule applies to every method. */
  methods: string[] | null;
  /** The user must be in one of these groups, or null for no group check. */
  groups: string[] | null;
}

export interface RedisConfig {
  url: string | null;
  sentinels: HostPort[] | null;
  /** Sentinel master name. */
  name: string | null;
  cluster: HostPort[] | null;
  keyPrefix: string;
}

export interface ThrottleConfig {
  /** Failures allowed before delays start (the SPEC's "after the third"). */
  freeFailures: number;
  /** Failures within `windowMs` that lock the user out. */
  lockoutFailures: number;
  windowMs: number;
  lockoutMs: number;
}

export interface TotpConfig {
  digits: number;
  period: number;
  algorithm: TotpAlgorithm;
  window: number;
}

export interface WebhookEndpoint {
  url: URL;
  /** The decoded key of the `whsec_...` secret. */
  secret: Buffer;
  /** Event types, or ["*"] for all. */
  events: string[];
}

export interface Config {
  /** Folder of the config file: relative paths in it are resolved against this. */
  baseDir: string;
  server: {
    listen: HostPort;
    publicUrl: URL | null;
    /** CIDRs (or single addresses) whose X-Forwarded-* headers are believed. */
    trustedProxies: string[];
    /** One log line per proxied request (off by default: it costs on the hot path). */
    accessLog: boolean;
  };
  upstream: {
    url: URL;
    timeoutMs: number;
    /** Canonical, lower-case paths of the upstream's own login forms. */
    loginPaths: string[];
  };
  gateway: {
    /** Canonical prefix of the gateway's own pages, e.g. "/_otpgate" (no trailing slash). */
    path: string;
    title: string;
    /** Absolute path of a logo image served by the gateway, or null. */
    logo: string | null;
    /** CSS colour used for buttons and links, e.g. "#2563eb". */
    accentColor: string;
  };
  store: {
    /** null: the embedded in-memory store (one process, development only). */
    redis: RedisConfig | null;
  };
  secrets: {
    session: string;
    /** 32 bytes. */
    encryptionKey: Buffer;
  };
  session: {
    cookie: string;
    idleTimeoutMs: number;
    maxAgeMs: number;
    /** 0 turns "remember this browser" off. */
    rememberDeviceMs: number;
  };
  users: {
    /** Absolute path of the users file. */
    file: string;
  };
  twoFactor: {
    enforce: boolean;
    backupCodes: number;
    totp: TotpConfig;
    throttle: ThrottleConfig;
  };
  /** First matching rule wins. */
  protect: ProtectRule[];
  default: Requirement;
  headers: {
    verified: string;
    user: string;
    email: string;
    groups: string;
    device: string;
  };
  webhooks: WebhookEndpoint[];
  metrics: {
    /** A separate listener for /metrics, or null to serve it under the gateway path. */
    listen: HostPort | null;
  };
}
