import type { Request, Response } from 'express';
import type { PendingSignIn } from '../identity/sign-in/pending-sign-in.js';
import type { SignedIn, SignInManager } from '../identity/sign-in/sign-in-manager.js';
import { pageMessages } from '../messages.js';
import { formatWait } from './format-wait.js';
import { safeLocalUrl } from './forms.js';
import { establishSession, regenerateSession } from './session.js';

export interface SessionTimes {
  now: number;
  /** How long a "Remember me" cookie may last (docs/sessions.md). */
  persistentMs: number;
}

/**
 * The web half of a first factor's outcome, the same for password and external sign-in:
 * signed in → a new session and the return address; a second factor due → the pending state
 * in a new session id (granting nothing else) and Send Code.
 */
export async function continueSignIn(
  req: Request,
  res: Response,
  outcome: SignedIn | { status: 'RequiresTwoFactor'; pending: PendingSignIn },
  times: SessionTimes,
): Promise<void> {
  if (outcome.status === 'SignedIn') return completeSignIn(req, res, outcome, times);
  const pending = { ...outcome.pending, returnUrl: safeLocalUrl(outcome.pending.returnUrl) };
  await regenerateSession(req);
  req.session.twoFactor = pending;
  const query = new URLSearchParams({ returnUrl: pending.returnUrl, rememberMe: String(pending.rememberMe) });
  res.redirect(303, `/account/send-code?${query}`);
}

/** Both factors done: the session starts, its lifetime counted from the first factor. */
export async function completeSignIn(req: Request, res: Response, outcome: SignedIn, times: SessionTimes): Promise<void> {
  await establishSession(req, outcome.user, { rememberMe: outcome.rememberMe, signedInAt: outcome.signedInAt, ...times });
  res.redirect(303, safeLocalUrl(outcome.returnUrl));
}

/** The pending second-factor state if it is still fresh; an expired one is removed. */
export function readPendingSignIn(req: Request, signIn: Pick<SignInManager, 'isPendingFresh'>): PendingSignIn | undefined {
  const pending = req.session?.twoFactor;
  if (!pending) return undefined;
  if (signIn.isPendingFresh(pending)) return pending;
  delete req.session.twoFactor;
  return undefined;
}

/**
 * The lockout page: for how long, and the ways on. A pending sign-in is void after it: start
 * again from the first factor.
 */
export function renderLockedOut(req: Request, res: Response, lockout: { until?: Date }, now: Date): void {
  if (req.session) delete req.session.twoFactor;
  const waitMs = lockout.until ? lockout.until.getTime() - now.getTime() : 0;
  res.render('account/lockout', {
    title: pageMessages.lockedOutTitle,
    message: pageMessages.lockedOut,
    wait: waitMs > 0 ? pageMessages.lockedOutFor(formatWait(waitMs)) : undefined,
  });
}
