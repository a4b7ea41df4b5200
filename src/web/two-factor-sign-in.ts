import type { Request, Response } from 'express';
import type { Services } from '../composition.js';
import type { AuditContext } from '../db/stores/audit-log.js';
import type { User } from '../db/stores/user-store.js';
import { safeLocalUrl } from './forms.js';
import { readRememberBrowserCookie } from './remember-browser-cookie.js';
import { establishSession } from './session.js';
import { startPendingTwoFactor } from './two-factor-session.js';

export interface FirstFactorPassed {
  rememberMe: boolean;
  returnUrl: string;
  /** 'password', or an external provider such as 'Google'. */
  method: string;
  persistentMs: number;
  context: AuditContext;
}

/**
 * What follows a first factor for a user with two-factor on (SignInManager.SignInOrTwoFactor):
 * a remembered browser signs in at once; otherwise the pending state starts (in a new session
 * id, granting nothing else) and the user goes on to Send Code. Used by password and external
 * sign-in alike, so no first factor can skip the second.
 */
export async function signInOrTwoFactor(
  services: Services,
  req: Request,
  res: Response,
  user: User,
  step: FirstFactorPassed,
): Promise<void> {
  const now = services.clock().getTime();
  const token = readRememberBrowserCookie(req, services.config.env === 'production');
  if (token && (await services.rememberedBrowsers.isTwoFactorClientRemembered(user, token))) {
    await services.rememberedBrowsers.recordRememberedSignIn(user, token, step.method, step.context);
    await establishSession(req, user, { rememberMe: step.rememberMe, now, persistentMs: step.persistentMs });
    return res.redirect(303, safeLocalUrl(step.returnUrl));
  }
  await startPendingTwoFactor(req, user, {
    rememberMe: step.rememberMe,
    returnUrl: safeLocalUrl(step.returnUrl),
    method: step.method,
    now,
  });
  const query = new URLSearchParams({ returnUrl: safeLocalUrl(step.returnUrl), rememberMe: String(step.rememberMe) });
  res.redirect(303, `/account/send-code?${query}`);
}
