import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import { formatPhoneNumber } from '../../identity/phone-number.js';
import { clearRememberBrowserCookie, readRememberBrowserCookie, setRememberBrowserCookie } from '../remember-browser-cookie.js';
import type { RouteOptions } from '../route-options.js';
import { reissueSession } from '../session.js';
import { auditContext } from '../audit-context.js';

/** The two-factor part of the Manage page's view model: phone, 2FA state, this browser. */
export async function twoFactorManageModel(services: Services, req: Request) {
  const user = req.user!;
  // Remembering a browser only skips a second factor: without two-factor there is nothing to
  // look up (turning it off also rotated the stamp every remembered browser was bound to).
  const token = user.twoFactorEnabled ? readRememberBrowserCookie(req, services.config.env === 'production') : undefined;
  return {
    phoneNumber: user.phoneNumber && user.phoneNumberConfirmed ? formatPhoneNumber(user.phoneNumber) : null,
    twoFactorEnabled: user.twoFactorEnabled,
    browserRemembered: await services.rememberedBrowsers.isTwoFactorClientRemembered(user, token),
  };
}

/**
 * Enable/DisableTwoFactorAuthentication and RememberBrowser/ForgetBrowser. The sample shipped
 * these without anti-forgery tokens; here they are POSTs behind the CSRF check like every
 * other state change.
 */
export function createTwoFactorSettingsController(services: Services, options: RouteOptions) {
  const { twoFactor, rememberedBrowsers, clock, config } = services;
  const production = config.env === 'production';

  async function setTwoFactor(req: Request, res: Response, enabled: boolean) {
    const updated = await twoFactor.setTwoFactorEnabled(req.user!.id, enabled, auditContext(req));
    if (!updated) return res.redirect(303, '/manage?message=Error');
    // A security-profile change: a new stamp ends other sessions; this one is re-issued.
    await reissueSession(req, updated, clock().getTime(), options.rememberMeMs);
    res.redirect(303, '/manage?message=SetTwoFactorSuccess');
  }

  return {
    enableTwoFactor: (req: Request, res: Response) => setTwoFactor(req, res, true),
    disableTwoFactor: (req: Request, res: Response) => setTwoFactor(req, res, false),

    async rememberBrowser(req: Request, res: Response) {
      const previous = readRememberBrowserCookie(req, production);
      const token = await rememberedBrowsers.rememberTwoFactorClient(req.user!, previous, auditContext(req));
      setRememberBrowserCookie(res, token, production, config.twoFactor.rememberBrowserMs);
      res.redirect(303, '/manage');
    },

    async forgetBrowser(req: Request, res: Response) {
      const token = readRememberBrowserCookie(req, production);
      await rememberedBrowsers.forgetTwoFactorClient(req.user!, token, auditContext(req));
      clearRememberBrowserCookie(res, production);
      res.redirect(303, '/manage');
    },
  };
}
