import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import { clearRememberBrowserCookie, readRememberBrowserCookie, setRememberBrowserCookie } from '../remember-browser-cookie.js';
import type { RouteOptions } from '../route-options.js';
import { reissueSession } from '../session.js';
import { auditContext } from '../audit-context.js';

export type TwoFactorSettingsControllerDeps = Pick<Services, 'clock' | 'config' | 'rememberedBrowsers' | 'twoFactor'>;

/**
 * Enable/DisableTwoFactorAuthentication and RememberBrowser/ForgetBrowser. The sample shipped
 * these without anti-forgery tokens; here they are POSTs behind the CSRF check like every
 * other state change.
 */
export function createTwoFactorSettingsController(
  { clock, config, rememberedBrowsers, twoFactor }: TwoFactorSettingsControllerDeps,
  options: RouteOptions,
) {
  const production = config.production;

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
