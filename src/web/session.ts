import type { Request } from 'express';
import type { User } from '../identity/user-store.js';
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
  persistentMs: number;
}

/** Starts an authenticated session in a new session id, bound to the user's current stamp. */
export async function establishSession(req: Request, user: User, options: SignInOptions): Promise<void> {
  await regenerateSession(req);
  req.session.userId = user.id;
  req.session.securityStamp = user.securityStamp;
  req.session.signedInAt = options.now;
  req.session.rememberMe = options.rememberMe;
  req.session.deviceCheckDue = true;
  // "Remember me" keeps the cookie across browser restarts; otherwise it is a session cookie.
  req.session.cookie.maxAge = options.rememberMe ? options.persistentMs : undefined;
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

/** After the user changed their own credentials: keep this session, in a new id, on the new stamp. */
export async function reissueSession(req: Request, user: User, now: number, persistentMs: number): Promise<void> {
  await establishSession(req, user, { rememberMe: Boolean(req.session.rememberMe), now, persistentMs });
}
