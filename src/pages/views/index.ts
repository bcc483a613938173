// The gateway's pages: pure functions from a typed view model to a complete
// HTML document. The routes gather the data and send the result with
// securityHeaders(nonce).
export type { PageContext, PagePaths } from './context.ts';
export { pagePaths, sanitizeAccent, localPathOr } from './context.ts';
export { escapeHtml, html, raw, SafeHtml } from './html.ts';
export type { AttemptProblem } from './parts.ts';
export { CODE_PATTERN } from './parts.ts';
export { renderLogin } from './login.ts';
export type { LoginView } from './login.ts';
export { renderVerify } from './verify.ts';
export type { VerifyView } from './verify.ts';
export { renderSetup, groupSecret } from './setup.ts';
export type { SetupView } from './setup.ts';
export { renderBackupCodes } from './backup-codes.ts';
export type { BackupCodesView } from './backup-codes.ts';
export { renderAccount } from './account.ts';
export type { AccountView, AccountSession, AccountNotice } from './account.ts';
export { renderError } from './error.ts';
export type { ErrorView, ErrorStatus } from './error.ts';
