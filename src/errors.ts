// Every error otpgate reports to an operator has a code, defined here.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'USERS_FILE_INVALID'
  | 'STORE_UNAVAILABLE'
  | 'LISTEN_FAILED'
  | 'USAGE';

/** An error meant for a person: `message` says what is wrong and where. */
export class OtpgateError extends Error {
  override readonly name = 'OtpgateError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A config file with one or more problems; each names the key (`protect[1].require`). */
export class ConfigError extends OtpgateError {
  constructor(readonly problems: string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
