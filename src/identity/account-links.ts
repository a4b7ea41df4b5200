/**
 * The links identity puts in mail. Identity knows what a link is for, not where it points: the
 * web layer builds them (src/web/account-links.ts) from APP_BASE_URL and its own routes.
 */
export interface AccountLinks {
  logIn(): string;
  forgotPassword(): string;
  confirmEmail(userId: string, code: string): string;
  resetPassword(userId: string, code: string): string;
}
