import type { NextFunction, Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import { safeEqual } from '../../identity/secret-keys.js';
import type { User } from '../../db/stores/user-store.js';
import type { UserManager } from '../../identity/user-manager.js';
import { destroySession } from '../session.js';
import { absoluteEnd, type SessionLifetimes } from '../session-lifetime.js';
import type { SessionAccount } from '../session-store.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in user, loaded fresh on every request; undefined for visitors. */
    user?: User;
    /** How many external logins the signed-in user has (read with the session when it can be). */
    externalLoginCount?: number;
  }
}

/**
 * Loads the signed-in user on every request and ends the session when the user is gone, the
 * security stamp changed since sign-in (password change, 2FA change...: other sessions end at
 * once, not after 30 minutes as in the sample), or the absolute lifetime is over.
 */
export function loadCurrentUser(
  users: UserManager,
  clock: Clock,
  lifetimes: SessionLifetimes,
  accountLoadedWith: (req: Request) => SessionAccount | undefined,
) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const userId = req.session?.userId;
    if (userId) {
      // Normally read in the session's own query; looked up here only when it was not.
      const loaded = accountLoadedWith(req);
      const fromSession = loaded?.userId === userId ? loaded : undefined;
      const user = fromSession ? fromSession.user : await users.findById(userId);
      req.externalLoginCount = fromSession?.externalLoginCount;
      const stampOk = user && safeEqual(user.securityStamp, req.session.securityStamp ?? '');
      const fresh = clock().getTime() < (absoluteEnd(req.session, lifetimes) ?? 0);
      if (user && stampOk && fresh) {
        req.user = user;
      } else {
        await destroySession(req);
      }
    }
    res.locals.currentUser = req.user;
    next();
  };
}

/** Guards a page for signed-in users; visitors go to sign-in and come back afterwards. */
export function requireSignedIn(req: Request, res: Response, next: NextFunction) {
  if (req.user) return next();
  res.redirect(`/account/login?${new URLSearchParams({ returnUrl: req.originalUrl })}`);
}
