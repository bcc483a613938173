// The TOTP factor: a seed sealed under the encryption key (bound to its
// user), and the last accepted time step for replay protection.
import type { TotpConfig } from '../config/types.ts';
import type { Store } from '../store/types.ts';
import type { Device } from './device.ts';
import { userKeys } from './keys.ts';
import { openSecret, sealSecret } from './secret-box.ts';
import { matchTotpStep } from './totp.ts';

interface StoredTotp {
  /** Sealed base32 seed. */
  secret: string;
  createdAt: number;
}

function sealingContext(user: string): string {
  return `otpgate:totp:${user}`;
}

function parseStoredTotp(user: string, raw: string): StoredTotp {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = null;
  }
  const record = value as Partial<StoredTotp> | null;
  if (typeof record?.secret !== 'string' || typeof record.createdAt !== 'number') {
    // Fail closed: a damaged record must neither verify nor look like "no device".
    throw new Error(`stored TOTP device of user ${JSON.stringify(user)} is malformed`);
  }
  return { secret: record.secret, createdAt: record.createdAt };
}

/** Authenticator apps show codes as "123 456"; spaces are forgiven. */
export function compactTotpCode(code: string): string {
  return code.replace(/\s+/g, '');
}

export class TotpDevice implements Device {
  readonly type = 'totp' as const;

  constructor(
    private readonly store: Store,
    private readonly encryptionKey: Buffer,
    private readonly totp: TotpConfig,
  ) {}

  keys(user: string): string[] {
    return [userKeys.totp(user), userKeys.totpStep(user)];
  }

  async isConfigured(user: string): Promise<boolean> {
    return (await this.store.get(userKeys.totp(user))) !== null;
  }

  /** When the device was enrolled, or null without one. */
  async createdAt(user: string): Promise<number | null> {
    const raw = await this.store.get(userKeys.totp(user));
    return raw === null ? null : parseStoredTotp(user, raw).createdAt;
  }

  async verify(user: string, code: string, nowMs: number): Promise<boolean> {
    const compact = compactTotpCode(code);
    // Not shaped like a code (a backup code, say): no need to ask the store.
    if (compact.length !== this.totp.digits || !/^[0-9]+$/.test(compact)) return false;
    const raw = await this.store.get(userKeys.totp(user));
    if (raw === null) return false;
    const secret = openSecret(this.encryptionKey, parseStoredTotp(user, raw).secret, sealingContext(user));
    const step = matchTotpStep(secret, compact, this.totp, nowMs);
    if (step === null) return false;
    // The single atomic check-and-set: of requests racing with the same code,
    // or a replay, or a code of an older step, only a newer step gets through.
    return this.store.raiseTo(userKeys.totpStep(user), step);
  }

  /**
   * Stores a confirmed device whose code matched `step`. The step is recorded
   * before the device appears, so the enrolment code can never be used a
   * second time at /verify. False when the step was already used or the user
   * got a device meanwhile.
   */
  async install(user: string, secret: string, step: number, nowMs: number): Promise<boolean> {
    if (!(await this.store.raiseTo(userKeys.totpStep(user), step))) return false;
    const record: StoredTotp = { secret: sealSecret(this.encryptionKey, secret, sealingContext(user)), createdAt: nowMs };
    return this.store.setIfAbsent(userKeys.totp(user), JSON.stringify(record));
  }
}
