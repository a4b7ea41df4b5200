import type { Request } from 'express';
import { formatPhoneNumber } from '../../identity/phone-number.js';
import type { RememberedBrowsers } from '../../identity/remembered-browsers.js';
import { readRememberBrowserCookie } from '../remember-browser-cookie.js';

/**
 * The two-factor part of the Manage page's view model: phone, 2FA state, this browser. Used by
 * manage-controller.ts; a module of its own so that no controller imports another.
 */
export async function twoFactorManageModel(deps: { rememberedBrowsers: RememberedBrowsers; production: boolean }, req: Request) {
  const user = req.user!;
  // Remembering a browser only skips a second factor: without two-factor there is nothing to
  // look up (turning it off also rotated the stamp every remembered browser was bound to).
  const token = user.twoFactorEnabled ? readRememberBrowserCookie(req, deps.production) : undefined;
  return {
    phoneNumber: user.phoneNumber && user.phoneNumberConfirmed ? formatPhoneNumber(user.phoneNumber) : null,
    twoFactorEnabled: user.twoFactorEnabled,
    browserRemembered: await deps.rememberedBrowsers.isTwoFactorClientRemembered(user, token),
  };
}
