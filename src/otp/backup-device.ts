// The backup-code factor: a set of keyed hashes, each removed when used.
import type { Store } from '../store/types.ts';
import { BACKUP_CODE_LENGTH, generateBackupCodes, hashBackupCode, normalizeBackupCode } from './backup-codes.ts';
import type { Device } from './device.ts';
import { userKeys } from './keys.ts';

export class BackupCodeDevice implements Device {
  readonly type = 'backup' as const;

  constructor(
    private readonly store: Store,
    private readonly encryptionKey: Buffer,
  ) {}

  keys(user: string): string[] {
    return [userKeys.backup(user)];
  }

  /** Replaces the user's codes with `count` new ones and returns them (shown once, never stored). */
  async issue(user: string, count: number): Promise<string[]> {
    const codes = generateBackupCodes(count);
    const key = userKeys.backup(user);
    await this.store.del(key);
    if (codes.length > 0) await this.store.sadd(key, codes.map((code) => hashBackupCode(this.encryptionKey, code)));
    return codes;
  }

  left(user: string): Promise<number> {
    return this.store.scard(userKeys.backup(user));
  }

  async verify(user: string, code: string): Promise<boolean> {
    if (normalizeBackupCode(code).length !== BACKUP_CODE_LENGTH) return false;
    // srem is atomic: of concurrent uses of one code exactly one removes it.
    return this.store.srem(userKeys.backup(user), hashBackupCode(this.encryptionKey, code));
  }
}
