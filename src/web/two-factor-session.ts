import type { Request } from 'express';
import type { User } from '../db/stores/user-store.js';
import { regenerateSession } from './session.js';

/**
 * The half-signed-in state between the password (or external login) step and the second
 * factor. It lives only in the session, is bound to the user and their stamp, expires, and
 * grants nothing but the SendCode/VerifyCode pages: `req.user` stays unset.
 */
export interface PendingTwoFactor {
  userId: string;
  securityStamp: string;
  startedAt: number;
  rememberMe: boolean;
  returnUrl: string;
  /** Set after SendCode: the provider whose code was sent. */
  provider?: string;
  /** How the first factor was passed ('password', or an external provider such as 'Google'). */
  method: string;
}

export const PENDING_TWO_FACTOR_TTL_MS = 5 * 60_000;

/** Starts the second-factor step in a new session id. */
export async function startPendingTwoFactor(
  req: Request,
  user: User,
  options: { rememberMe: boolean; returnUrl: string; method: string; now: number },
): Promise<void> {
  await regenerateSession(req);
  req.session.twoFactor = {
    userId: user.id,
    securityStamp: user.securityStamp,
    startedAt: options.now,
    rememberMe: options.rememberMe,
    returnUrl: options.returnUrl,
    method: options.method,
  };
}

/** The pending state if it is still fresh; an expired one is removed. */
export function getPendingTwoFactor(req: Request, now: number, ttlMs = PENDING_TWO_FACTOR_TTL_MS): PendingTwoFactor | undefined {
  const pending = req.session?.twoFactor;
  if (!pending) return undefined;
  if (now - pending.startedAt >= ttlMs) {
    delete req.session.twoFactor;
    return undefined;
  }
  return pending;
}
