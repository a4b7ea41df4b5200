import type { Request } from 'express';
import { safeEqual } from '../identity/secret-keys.js';
import type { User } from '../db/stores/user-store.js';
import { dropVisitorCsrfToken } from './middleware/csrf.js';

const promisify = (fn: (cb: (err?: unknown) => void) => void) =>
  new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));

/** A new session id for a new privilege level: an id planted before sign-in is useless. */
export function regenerateSession(req: Request): Promise<void> {
  // The visitor's CSRF token goes with the old id: a form from before is refused after.
  dropVisitorCsrfToken(req);
  return promisify((cb) => req.session.regenerate(cb));
}

/** Ends the session: its row is deleted and the visitor carries on in a fresh, empty one. */
export function destroySession(req: Request): Promise<void> {
  return regenerateSession(req);
}

export interface SignInOptions {
  rememberMe: boolean;
  now: number;
  /** How long a "Remember me" cookie may last, from `signedInAt`. */
  persistentMs: number;
  /**
   * When the first factor was passed (the password, or Google): the absolute lifetime counts
   * from there. Defaults to `now`; the code step and a re-issue pass the earlier time.
   */
  signedInAt?: number;
}

/** Starts an authenticated session in a new session id, bound to the user's current stamp. */
export async function establishSession(req: Request, user: User, options: SignInOptions): Promise<void> {
  await regenerateSession(req);
  req.session.userId = user.id;
  req.session.securityStamp = user.securityStamp;
  const signedInAt = Math.min(options.signedInAt ?? options.now, options.now);
  req.session.signedInAt = signedInAt;
  req.session.rememberMe = options.rememberMe;
  req.session.deviceCheckDue = true;
  // "Remember me" keeps the cookie across browser restarts, at most until the session's
  // absolute end; otherwise it is a session cookie. Either way the server decides when the
  // session is over (session-lifetime.ts), not the cookie.
  req.session.cookie.maxAge = options.rememberMe ? Math.max(0, signedInAt + options.persistentMs - options.now) : undefined;
  // Stored now, not when the response ends: express-session sends the response even when that
  // late write fails, and the browser would be told it is signed in with no session behind it.
  try {
    await promisify((cb) => req.session.save(cb));
  } catch (err) {
    // Not signed in after all: drop the session, so the end of the response stores nothing.
    await promisify((cb) => req.session.destroy(cb)).catch(() => undefined);
    throw err;
  }
}

/**
 * After the user changed their own credentials: keep this session, in a new id, on the new
 * stamp. It stays what it was: remembered or not, and with the absolute lifetime of the
 * sign-in, so no number of re-issues extends it. A stamp that did not change (a request that
 * changed nothing) re-issues nothing.
 */
export async function reissueSession(req: Request, user: User, now: number, persistentMs: number): Promise<void> {
  if (safeEqual(user.securityStamp, req.session.securityStamp ?? '')) return;
  await establishSession(req, user, {
    rememberMe: Boolean(req.session.rememberMe),
    now,
    persistentMs,
    signedInAt: req.session.signedInAt ?? now,
  });
}
