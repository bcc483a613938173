// Every piece of text a user can see on the gateway's pages. A translation is
// a copy of this one file; views never contain English of their own.

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

const dateTime = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});
const dateOnly = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export const strings = {
  lang: 'en',
  documentTitle: (page: string, site: string) => `${page} · ${site}`,
  footer: 'Protected by two-factor authentication',
  formatDateTime: (ms: number) => dateTime.format(ms),
  formatDate: (ms: number) => dateOnly.format(ms),
  signedInAs: (username: string) => `Signed in as ${username}`,
  signOut: 'Sign out',
  codeLabel: 'Authentication code',
  codeHint: (digits: number) => `The ${digits}-digit code from your authenticator app.`,
  problems: {
    wait: (seconds: number) => `Too many failed attempts. Wait ${plural(seconds, 'second', 'seconds')} before trying again.`,
    lockedOut: (minutes: number) => `Too many attempts. Try again in ${plural(minutes, 'minute', 'minutes')}.`,
  },

  login: {
    page: 'Sign in',
    heading: 'Sign in',
    intro: (site: string) => `Sign in to continue to ${site}.`,
    username: 'Username',
    password: 'Password',
    submit: 'Sign in',
    invalid: 'Incorrect username or password.',
    signedOut: 'You have been signed out.',
    sessionExpired: 'Your session has ended. Sign in again to continue.',
  },

  verify: {
    page: 'Two-factor authentication',
    heading: 'Two-factor authentication',
    introTotp: (site: string) => `Open your authenticator app and enter the code it shows for ${site}.`,
    introBackup: 'Enter one of the backup codes you saved when you set up two-factor authentication. Each code works once.',
    backupLabel: 'Backup code',
    backupHint: 'Letters and digits, like abcd-2345-efgh. Dashes and spaces are optional.',
    remember: (days: number) => `Remember this browser for ${plural(days, 'day', 'days')}`,
    submit: 'Verify',
    useBackup: 'Use a backup code instead',
    useApp: 'Use your authenticator app instead',
    invalidTotp: 'That code did not work. Check the time on your phone and try the current code.',
    invalidBackup: 'That backup code did not work. Each code can be used only once.',
    lostEverything: 'Lost your phone and your backup codes? Ask an administrator to reset your two-factor authentication.',
  },

  setup: {
    page: 'Set up two-factor authentication',
    heading: 'Set up two-factor authentication',
    whyOptional:
      'Two-factor authentication keeps your account safe even if someone learns your password: signing in also needs a code from your phone.',
    whyRequiredHere:
      'The page you asked for needs two-factor authentication, and your account does not have it yet. Setting it up takes about a minute.',
    whyEnforced: (site: string) =>
      `${site} requires two-factor authentication on every account. Set it up to continue.`,
    stepApp: 'Install an authenticator app',
    stepAppText:
      'Any app for time-based one-time passwords (TOTP) works, for example Google Authenticator, Microsoft Authenticator, 1Password, Bitwarden, Aegis or FreeOTP.',
    stepScan: 'Scan this QR code',
    stepScanText: 'In the app, choose to add an account, then scan the code.',
    qrLabel: 'QR code to scan with your authenticator app',
    manualIntro: 'Cannot scan it? Enter this setup key in the app instead:',
    keyDetails: (account: string, digits: number, period: number, algorithm: string) =>
      `Account: ${account} · time-based · ${digits} digits every ${period} seconds${algorithm === 'SHA1' ? '' : ` · ${algorithm}`}`,
    copyKey: 'Copy key',
    copied: 'Copied',
    openInApp: 'Open in an authenticator app on this device',
    stepConfirm: 'Enter the code from the app',
    submit: 'Turn on two-factor authentication',
    invalid: 'That code did not match. Make sure you scanned this page’s QR code, then enter the current code.',
    notNow: 'Not now',
  },

  backupCodes: {
    page: 'Backup codes',
    headingNew: 'Save your backup codes',
    headingRegenerated: 'Your new backup codes',
    enrolled: 'Two-factor authentication is on.',
    oldOnesGone: 'Your previous backup codes no longer work.',
    intro:
      'If you lose your phone, each of these codes lets you sign in once. Keep them somewhere safe, such as a password manager. They will not be shown again.',
    listLabel: 'Backup codes',
    print: 'Print',
    download: 'Download as a text file',
    fileName: 'backup-codes.txt',
    fileText: (username: string, site: string, codes: readonly string[]) =>
      `Backup codes for ${username} at ${site}\nEach code works once.\n\n${codes.join('\n')}\n`,
    continue: 'Continue',
  },

  account: {
    page: 'Your account',
    heading: 'Your account',
    twoFactor: 'Two-factor authentication',
    statusOn: (sinceMs: number) => `On: authenticator app added ${dateOnly.format(sinceMs)}.`,
    statusOff: 'Off. Your account is protected by your password only.',
    setUp: 'Set up two-factor authentication',
    backupLeft: (n: number) => `${plural(n, 'backup code', 'backup codes')} left.`,
    backupNoneLeft: 'You have no backup codes left. Generate new ones so you cannot be locked out.',
    regenerateHeading: 'New backup codes',
    regenerateText: 'Generating new codes makes your current backup codes stop working.',
    regenerate: 'Generate new backup codes',
    disableHeading: 'Turn off two-factor authentication',
    disableText: 'Your account will be protected by your password only.',
    disable: 'Turn off two-factor authentication',
    disableEnforced: (site: string) =>
      `${site} requires two-factor authentication on every account, so it cannot be turned off.`,
    rememberedHeading: 'Remembered browsers',
    rememberedText: (days: number) =>
      `A remembered browser skips the code step for ${plural(days, 'day', 'days')} after signing in.`,
    thisRemembered: (untilMs: number) => `This browser is remembered until ${dateTime.format(untilMs)}.`,
    thisNotRemembered: 'This browser is not remembered.',
    forgetBrowsers: 'Forget all browsers',
    sessionsHeading: 'Active sessions',
    sessionsCaption: 'Where you are signed in',
    colDevice: 'Device',
    colAddress: 'Address',
    colSignedIn: 'Signed in',
    colLastActive: 'Last active',
    thisSession: 'This session',
    unknownDevice: 'Unknown device',
    deviceOn: (browser: string, os: string) => `${browser} on ${os}`,
    logoutEverywhere: 'Sign out everywhere',
    notices: {
      browsers_forgotten: 'All remembered browsers have been forgotten.',
      two_factor_disabled: 'Two-factor authentication is now off.',
      sessions_ended: 'All your other sessions have been signed out.',
    },
    invalidCode: 'That code did not work. Enter the current code from your authenticator app.',
  },

  errors: {
    status: (code: number) => `Error ${code}`,
    requestId: (id: string) => `Request ID: ${id}`,
    home: 'Go to the home page',
    account: 'Your account',
    byStatus: {
      400: { heading: 'Bad request', text: 'The address of this request is not allowed. Check the link and try again.' },
      403: { heading: 'Access denied', text: 'This page is not available.' },
      404: { heading: 'Page not found', text: 'There is nothing at this address. Check the link and try again.' },
      405: { heading: 'Not allowed', text: 'This kind of request is not allowed here.' },
      429: { heading: 'Too many attempts', text: 'Too many attempts. Try again later.' },
      500: { heading: 'Something went wrong', text: 'An unexpected error occurred. Try again in a moment.' },
      502: {
        heading: 'The application is not responding',
        text: 'The application behind this gateway could not be reached. Try again in a moment.',
      },
      503: {
        heading: 'Sign-in is temporarily unavailable',
        text: 'The gateway cannot reach its session store right now, so nobody can sign in. Pages that need no sign-in still work. Try again in a few minutes.',
      },
      504: {
        heading: 'The application took too long',
        text: 'The application behind this gateway did not answer in time. Try again in a moment.',
      },
    },
    forbidden: {
      groups: {
        heading: 'Access denied',
        text: (_site: string) =>
          'Your account does not have access to this page. If you think it should, ask an administrator.',
      },
      csrf: {
        heading: 'This form has expired',
        text: (_site: string) => 'For your security, forms expire. Go back, reload the page and try again.',
      },
      enforced: {
        heading: 'Two-factor authentication is required',
        text: (site: string) => `${site} requires two-factor authentication on every account, so it cannot be turned off.`,
      },
    },
  },
} as const;

export type Strings = typeof strings;
