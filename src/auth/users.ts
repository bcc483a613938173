// The user directory: the users file in memory, password checks against it,
// and reloading when the file changes on disk (no restart to add a user).
import { EventEmitter } from 'node:events';
import { watch as watchFs, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { OtpgateError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { DUMMY_HASH, verifyPassword, type PasswordVerifier } from './passwords.ts';
import { parseUsersYaml, type User } from './users-file.ts';

export { isValidEmail, isValidGroup, isValidUsername, parseUsersYaml, USERNAME_PATTERN, type User } from './users-file.ts';

export interface UserDirectoryOptions {
  /** How passwords are checked; tests substitute a recorder. */
  verifyPassword?: PasswordVerifier;
  /** Quiet period after the last change event before the file is re-read. */
  debounceMs?: number;
}

interface UserDirectoryEvents {
  /** The file was re-read and the new users are in use. */
  reloaded: [count: number];
  /**
   * Users whose password changed, or who were removed or disabled, in a reload:
   * their sessions should end (a new password must not leave old sessions open).
   */
  credentialsChanged: [usernames: string[]];
  /** The file changed but could not be used; the previous users stay in use. */
  reloadFailed: [error: Error];
}

export class UserDirectory extends EventEmitter<UserDirectoryEvents> {
  private users: Map<string, User>;
  private lastText: string;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  // Reloads run one after another so an older read never replaces a newer one.
  private reloading: Promise<boolean> = Promise.resolve(true);
  private readonly verify: PasswordVerifier;
  private readonly debounceMs: number;

  private constructor(
    readonly file: string,
    private readonly logger: Logger,
    text: string,
    users: Map<string, User>,
    options: UserDirectoryOptions,
  ) {
    super();
    this.users = users;
    this.lastText = text;
    this.verify = options.verifyPassword ?? verifyPassword;
    this.debounceMs = options.debounceMs ?? 100;
  }

  /** Reads and validates the users file; throws OtpgateError('USERS_FILE_INVALID') naming what is wrong. */
  static async load(file: string, logger: Logger, options: UserDirectoryOptions = {}): Promise<UserDirectory> {
    const text = await readUsersFile(file);
    return new UserDirectory(file, logger, text, parseUsersYaml(text, file), options);
  }

  get size(): number {
    return this.users.size;
  }

  get(username: string): User | undefined {
    return this.users.get(username);
  }

  /**
   * The user when the password is right and the account enabled, else null.
   * Unknown and disabled users cost one password verification too, so the
   * answer time does not tell which usernames exist.
   */
  async authenticate(username: string, password: string): Promise<User | null> {
    const user = this.users.get(username);
    if (!user || user.disabled) {
      await this.verify(DUMMY_HASH, password);
      return null;
    }
    if (!(await this.verify(user.passwordHash, password))) return null;
    // The file may have been reloaded during the verification: a user removed
    // or disabled meanwhile does not get in.
    const current = this.users.get(username);
    return current && !current.disabled && current.passwordHash === user.passwordHash ? current : null;
  }

  /**
   * Re-reads the file. Resolves true when the users in use match the file
   * (changed or not), false when the file is broken (logged, old users kept).
   */
  reload(): Promise<boolean> {
    this.reloading = this.reloading.then(() => this.reloadNow());
    return this.reloading;
  }

  /**
   * Watches the file's folder (editors often replace a file by renaming a new
   * one over it, which a watch on the file itself would miss) and reloads
   * after changes settle.
   */
  watch(): void {
    if (this.watcher) return;
    const name = basename(this.file);
    // The watch keeps the process alive until close(), like a listening socket.
    this.watcher = watchFs(dirname(this.file), (_event, changed) => {
      // Some platforms do not report the name; then any change may be ours.
      if (changed !== null && changed !== name) return;
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        this.debounce = null;
        void this.reload();
      }, this.debounceMs);
    });
    this.watcher.on('error', (err) => this.logger.error({ err, file: this.file }, 'users file watch failed'));
  }

  close(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    this.watcher?.close();
    this.watcher = null;
  }

  private async reloadNow(): Promise<boolean> {
    try {
      const text = await readUsersFile(this.file);
      if (text === this.lastText) return true;
      const users = parseUsersYaml(text, this.file);
      const changed = credentialChanges(this.users, users);
      this.users = users;
      this.lastText = text;
      this.logger.info({ file: this.file, users: users.size }, 'users file reloaded');
      if (changed.length > 0) this.emit('credentialsChanged', changed);
      this.emit('reloaded', users.size);
      return true;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.logger.error(
        { file: this.file, err: error.message },
        'users file changed but cannot be used; keeping the previous users',
      );
      this.emit('reloadFailed', error);
      return false;
    }
  }
}

/** Usernames whose password hash changed, or who are gone or newly disabled. */
export function credentialChanges(before: ReadonlyMap<string, User>, after: ReadonlyMap<string, User>): string[] {
  const changed: string[] = [];
  for (const [name, old] of before) {
    const now = after.get(name);
    if (!now || now.passwordHash !== old.passwordHash || (now.disabled && !old.disabled)) changed.push(name);
  }
  return changed;
}

async function readUsersFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message;
    throw new OtpgateError('USERS_FILE_INVALID', `cannot read users file ${file}: ${reason}`);
  }
}
