// A user's second factors: enrolment, verification, backup codes, removal.
// The one entry point the gateway pages use; the factors themselves live in
// ./totp-device.ts and ./backup-device.ts behind the Device interface.
import type { TotpConfig } from '../config/types.ts';
import type { Store } from '../store/types.ts';
import { BackupCodeDevice } from './backup-device.ts';
import type { Device, DeviceType } from './device.ts';
import { userKeys } from './keys.ts';
import { openSecret, sealSecret, SealedSecretError } from './secret-box.ts';
import { generateTotpSecret, matchTotpStep, totpUri } from './totp.ts';
import { compactTotpCode, TotpDevice } from './totp-device.ts';

export type { DeviceType } from './device.ts';

export interface DevicesOptions {
  /** 32 bytes (`secrets.encryption_key`). */
  encryptionKey: Buffer;
  totp: TotpConfig;
  /** How many backup codes a user gets. */
  backupCodes: number;
  /** Clock in milliseconds; tests pass their own. */
  now?: () => number;
}

export type VerifyResult = { ok: true; device: DeviceType } | { ok: false };
export type ConfirmResult = { ok: true; backupCodes: string[] } | { ok: false };

export interface DeviceStatus {
  totp: { createdAt: number } | null;
  backupCodesLeft: number;
}

/** A pending enrolment is forgotten after this long; /setup then shows a new secret. */
export const ENROLMENT_TTL_MS = 15 * 60 * 1000;

// Longer input is no code of any factor; refusing it early keeps hashing cheap.
const MAX_CODE_INPUT = 64;

function enrolmentContext(user: string): string {
  return `otpgate:enrol:${user}`;
}

export class Devices {
  private readonly totp: TotpDevice;
  private readonly backup: BackupCodeDevice;
  /** Tried in this order by verify(). */
  private readonly factors: readonly Device[];
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly opts: DevicesOptions,
  ) {
    if (opts.encryptionKey.length !== 32) throw new RangeError('encryption key must be 32 bytes');
    this.totp = new TotpDevice(store, opts.encryptionKey, opts.totp);
    this.backup = new BackupCodeDevice(store, opts.encryptionKey);
    this.factors = [this.totp, this.backup];
    this.now = opts.now ?? Date.now;
  }

  /** True when the user has enrolled a second factor. */
  hasDevice(user: string): Promise<boolean> {
    return this.totp.isConfigured(user);
  }

  /**
   * The secret to show on /setup: the pending one if there is one (a reload
   * shows the same QR code), else a new one kept for ENROLMENT_TTL_MS.
   */
  async pendingEnrolment(user: string, issuer: string, attempt: string): Promise<{ secret: string; uri: string }> {
    const key = userKeys.enrol(user, attempt);
    // A few rounds only because a parallel request may create or expire the
    // pending secret between our read and write.
    for (let round = 0; round < 3; round++) {
      const sealed = await this.store.get(key);
      if (sealed !== null) {
        const secret = this.openPending(user, sealed);
        if (secret !== null) return { secret, uri: totpUri({ secret, account: user, issuer, totp: this.opts.totp }) };
        await this.store.del(key);
      }
      const secret = generateTotpSecret();
      const fresh = sealSecret(this.opts.encryptionKey, secret, enrolmentContext(user));
      if (await this.store.setIfAbsent(key, fresh, ENROLMENT_TTL_MS)) {
        return { secret, uri: totpUri({ secret, account: user, issuer, totp: this.opts.totp }) };
      }
    }
    throw new Error('could not create a pending enrolment');
  }

  /**
   * Confirms the pending enrolment with a code from the user's app: stores
   * the device, marks the code's step as used, issues backup codes (returned
   * once, to show), and bumps the device version. Refused when the user
   * already has a device, nothing is pending, or the code does not match.
   */
  async confirmEnrolment(user: string, code: string, attempt: string): Promise<ConfirmResult> {
    if (code.length > MAX_CODE_INPUT || (await this.totp.isConfigured(user))) return { ok: false };
    const sealed = await this.store.get(userKeys.enrol(user, attempt));
    const secret = sealed === null ? null : this.openPending(user, sealed);
    if (secret === null) return { ok: false };
    const now = this.now();
    const step = matchTotpStep(secret, compactTotpCode(code), this.opts.totp, now);
    if (step === null) return { ok: false };
    if (!(await this.totp.install(user, secret, step, now))) return { ok: false };
    const backupCodes = await this.backup.issue(user, this.opts.backupCodes);
    await this.bumpVersion(user);
    await this.store.del(userKeys.enrol(user, attempt));
    return { ok: true, backupCodes };
  }

  /** A TOTP code (accepted once, newer steps only) or an unused backup code (consumed). */
  async verify(user: string, code: string): Promise<VerifyResult> {
    if (code.length > MAX_CODE_INPUT) return { ok: false };
    const now = this.now();
    for (const factor of this.factors) {
      if (await factor.verify(user, code, now)) return { ok: true, device: factor.type };
    }
    return { ok: false };
  }

  /** Replaces the backup codes (the old ones stop working) and returns the new ones. */
  async regenerateBackupCodes(user: string): Promise<string[]> {
    // Codes without a device would be a second factor nobody enrolled.
    if (!(await this.totp.isConfigured(user))) throw new Error('cannot issue backup codes to a user without a device');
    return this.backup.issue(user, this.opts.backupCodes);
  }

  backupCodesLeft(user: string): Promise<number> {
    return this.backup.left(user);
  }

  async status(user: string): Promise<DeviceStatus> {
    const [createdAt, backupCodesLeft] = await Promise.all([this.totp.createdAt(user), this.backup.left(user)]);
    return { totp: createdAt === null ? null : { createdAt }, backupCodesLeft };
  }

  /**
   * Removes every factor (admin recovery, /disable). Pending enrolments belong
   * to the sessions that started them, which end with it; they expire by themselves.
   */
  async removeAll(user: string): Promise<void> {
    await this.store.del(...this.factors.flatMap((factor) => factor.keys(user)));
    await this.bumpVersion(user);
  }

  /** "Forget all remembered browsers": a new version voids every remember-browser cookie of the user. */
  forgetRememberedBrowsers(user: string): Promise<void> {
    return this.bumpVersion(user);
  }

  /** Changes whenever the user's devices do; 0 before the first change. */
  async deviceVersion(user: string): Promise<number> {
    const raw = await this.store.get(userKeys.deviceVersion(user));
    return raw === null ? 0 : Number(raw);
  }

  // Never expires and never goes back: a remembered browser bound to an old
  // version must not become valid again.
  private async bumpVersion(user: string): Promise<void> {
    await this.store.incr(userKeys.deviceVersion(user), 0);
  }

  private openPending(user: string, sealed: string): string | null {
    try {
      return openSecret(this.opts.encryptionKey, sealed, enrolmentContext(user));
    } catch (err) {
      // Unreadable (say, after a key change): a new secret replaces it.
      if (err instanceof SealedSecretError) return null;
      throw err;
    }
  }
}
