// What every second factor has in common, after django-otp's Device: a
// factor checks a code against what it keeps in the store and consumes it
// atomically. Adding a factor (WebAuthn, say) is adding a file that
// implements this and listing it in ./devices.ts.

export type DeviceType = 'totp' | 'backup';

export interface Device {
  readonly type: DeviceType;
  /**
   * True only when `code` is valid for `user` and this call is the one that
   * used it: a code is accepted once, even by concurrent requests.
   */
  verify(user: string, code: string, nowMs: number): Promise<boolean>;
  /** The store keys holding this factor for `user`, deleted when the user's devices are removed. */
  keys(user: string): string[];
}
