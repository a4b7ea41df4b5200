import type { NextFunction, Request, Response } from 'express';
import type { Clock } from '../../identity/clock.js';
import { safeEqual } from '../../identity/secret-keys.js';
import type { User } from '../../identity/user-store.js';
import type { UserManager } from '../../identity/user-manager.js';
import { destroySession } from '../session.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in user, loaded fresh on every request; undefined for visitors. */
    user?: User;
  }
}

/**
 * Loads the signed-in user on every request and ends the session when the user is gone, the
 * security stamp changed since sign-in (password change, 2FA change...: other sessions end at
 * once, not after 30 minutes as in the sample), or the absolute lifetime is over.
 */
export function loadCurrentUser(users: UserManager, clock: Clock, absoluteMs: number) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const userId = req.session?.userId;
    if (userId) {
      const user = await users.findById(userId);
      const stampOk = user && safeEqual(user.securityStamp, req.session.securityStamp ?? '');
      const fresh = clock().getTime() - (req.session.signedInAt ?? 0) < absoluteMs;
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
