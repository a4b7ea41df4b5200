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
export class TwoFactorSettingsController {
  private readonly production: boolean;

  constructor(
    private readonly deps: TwoFactorSettingsControllerDeps,
    private readonly options: RouteOptions,
  ) {
    this.production = deps.config.production;
  }

  enableTwoFactor = (req: Request, res: Response) => this.setTwoFactor(req, res, true);
  disableTwoFactor = (req: Request, res: Response) => this.setTwoFactor(req, res, false);

  rememberBrowser = async (req: Request, res: Response) => {
    const previous = readRememberBrowserCookie(req, this.production);
    const token = await this.deps.rememberedBrowsers.rememberTwoFactorClient(req.user!, previous, auditContext(req));
    setRememberBrowserCookie(res, token, this.production, this.deps.config.twoFactor.rememberBrowserMs);
    res.redirect(303, '/manage');
  };

  forgetBrowser = async (req: Request, res: Response) => {
    const token = readRememberBrowserCookie(req, this.production);
    await this.deps.rememberedBrowsers.forgetTwoFactorClient(req.user!, token, auditContext(req));
    clearRememberBrowserCookie(res, this.production);
    res.redirect(303, '/manage');
  };

  private async setTwoFactor(req: Request, res: Response, enabled: boolean) {
    const updated = await this.deps.twoFactor.setTwoFactorEnabled(req.user!.id, enabled, auditContext(req));
    if (!updated) return res.redirect(303, '/manage?message=Error');
    // A security-profile change: a new stamp ends other sessions; this one is re-issued.
    await reissueSession(req, updated, this.deps.clock().getTime(), this.options.rememberMeMs);
    res.redirect(303, `/manage?message=${enabled ? 'SetTwoFactorSuccess' : 'DisableTwoFactorSuccess'}`);
  }
}
