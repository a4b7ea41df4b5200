/**
 * The half-signed-in state between the first factor (password or external login) and the
 * second. The web layer keeps it in the session; it grants nothing but the code pages, is bound
 * to the user and their stamp at the first factor, and lasts `pendingTtlMs` (5 minutes).
 */
export interface PendingSignIn {
  userId: string;
  securityStamp: string;
  /** When the first factor was passed (ms): the session's lifetime counts from here. */
  startedAt: number;
  rememberMe: boolean;
  returnUrl: string;
  /** How the first factor was passed ('password', or an external provider such as 'Google'). */
  method: string;
  /** Set once a code was asked for: the factor whose code the user will type. */
  provider?: string;
}

export const PENDING_SIGN_IN_TTL_MS = 5 * 60_000;

export function isPendingFresh(pending: PendingSignIn, now: number, ttlMs = PENDING_SIGN_IN_TTL_MS): boolean {
  return now - pending.startedAt < ttlMs;
}
