import type { Request, Response } from 'express';
import type { Config } from '../../config.js';
import type { Clock } from '../../identity/clock.js';
import type { PendingSignIn } from '../../identity/sign-in/pending-sign-in.js';
import type { SignInManager } from '../../identity/sign-in/sign-in-manager.js';
import type { User } from '../../identity/user-store.js';
import { pageMessages, twoFactorMessages } from '../../messages.js';
import { auditContext } from '../audit-context.js';
import { checkbox, field, type FieldErrors } from '../forms.js';
import { readRememberBrowserCookie, setRememberBrowserCookie } from '../remember-browser-cookie.js';
import type { RouteOptions } from '../route-options.js';
import { normaliseCode } from '../security-code-input.js';
import { completeSignIn, readPendingSignIn, renderLockedOut } from '../sign-in-session.js';
import { renderRateLimited } from './two-factor-views.js';

export interface TwoFactorControllerDeps {
  clock: Clock;
  config: Config;
  signIn: SignInManager;
}

/**
 * SendCode and VerifyCode: the only pages the half-signed-in state opens. Without a fresh
 * pending state (first factor passed within 5 minutes, stamp unchanged) they send nothing and
 * check nothing; `req.user` stays unset throughout, so every other page sees a visitor.
 */
export function createTwoFactorController(deps: TwoFactorControllerDeps, options: RouteOptions) {
  const { signIn, clock, config } = deps;
  const production = config.env === 'production';

  function expired(req: Request, res: Response) {
    if (req.session) delete req.session.twoFactor;
    res.status(400).render('account/sign-in-expired', { title: 'Sign-in expired', message: twoFactorMessages.signInExpired });
  }

  /** The pending state and its user, or undefined when the page must say the sign-in expired. */
  async function pendingWithUser(req: Request): Promise<{ pending: PendingSignIn; user: User } | undefined> {
    const pending = readPendingSignIn(req, signIn);
    const user = pending && (await signIn.pendingUser(pending));
    return pending && user ? { pending, user } : undefined;
  }

  function renderSendCode(res: Response, user: User, pending: PendingSignIn, errors: FieldErrors, status = 200) {
    const providers = signIn.factorsOf(user);
    res.status(status).render('account/send-code', {
      title: 'Send',
      providers,
      selectedProvider: pending.provider ?? providers[0],
      returnUrl: pending.returnUrl,
      rememberMe: pending.rememberMe,
      errors: providers.length ? errors : { form: twoFactorMessages.noProviders },
    });
  }

  async function renderVerifyCode(res: Response, user: User, pending: PendingSignIn, errors: FieldErrors) {
    const provider = pending.provider!;
    const demoCode = config.demoMode ? await signIn.demoCode(user, provider) : undefined;
    res.render('account/verify-code', {
      title: 'Verify',
      provider,
      demoCode,
      demoText: twoFactorMessages.demoCode(provider),
      returnUrl: pending.returnUrl,
      rememberMe: pending.rememberMe,
      errors,
    });
  }

  return {
    async sendCodeForm(req: Request, res: Response) {
      if (!readPendingSignIn(req, signIn)) return res.redirect('/account/login');
      const step = await pendingWithUser(req);
      if (!step) return expired(req, res);
      renderSendCode(res, step.user, step.pending, {});
    },

    async sendCode(req: Request, res: Response) {
      const step = await pendingWithUser(req);
      if (!step) return expired(req, res);
      const { pending, user } = step;
      const provider = field(req.body, 'selectedProvider');
      const result = await signIn.sendCode(pending, provider, auditContext(req));
      switch (result.status) {
        case 'Sent': {
          pending.provider = provider;
          const query = new URLSearchParams({ provider, returnUrl: pending.returnUrl, rememberMe: String(pending.rememberMe) });
          return res.redirect(303, `/account/verify-code?${query}`);
        }
        case 'NotDelivered':
          // The code exists and the outbox retries it, but the user is told plainly and may ask again.
          pending.provider = provider;
          return renderSendCode(res, user, pending, { form: twoFactorMessages.codeNotSent });
        case 'RateLimited':
          return renderRateLimited(res, result.retryAt, clock(), (errors) => renderSendCode(res, user, pending, errors, 429));
        case 'InvalidProvider':
          return renderSendCode(res, user, pending, { selectedProvider: twoFactorMessages.selectProvider });
        case 'LockedOut':
          return renderLockedOut(req, res);
        default:
          return expired(req, res);
      }
    },

    async verifyCodeForm(req: Request, res: Response) {
      const pending = readPendingSignIn(req, signIn);
      if (!pending) return res.redirect('/account/login');
      if (!pending.provider) return res.redirect('/account/send-code');
      const step = await pendingWithUser(req);
      if (!step) return expired(req, res);
      await renderVerifyCode(res, step.user, step.pending, {});
    },

    async verifyCode(req: Request, res: Response) {
      const step = await pendingWithUser(req);
      if (!step?.pending.provider) return expired(req, res);
      const { pending, user } = step;
      const rawCode = field(req.body, 'code');
      const code = normaliseCode(rawCode);
      // A malformed code, or one posted for another provider than the one sent, is refused
      // without being checked or counted: it cannot be right, and nothing changes.
      if (!code || field(req.body, 'provider') !== pending.provider) {
        const errors: FieldErrors = rawCode ? { form: pageMessages.invalidCode } : { code: twoFactorMessages.codeRequired };
        return renderVerifyCode(res, user, pending, errors);
      }
      const outcome = await signIn.verifyCode(pending, pending.provider, code, {
        rememberMe: checkbox(req.body, 'rememberMe'),
        rememberBrowser: checkbox(req.body, 'rememberBrowser'),
        previousBrowserToken: readRememberBrowserCookie(req, production),
        context: auditContext(req),
      });
      if (outcome.status === 'LockedOut') return renderLockedOut(req, res);
      if (outcome.status === 'Expired') return expired(req, res);
      if (outcome.status === 'Failed') return renderVerifyCode(res, user, pending, { form: pageMessages.invalidCode });
      if (outcome.rememberedBrowserToken) {
        setRememberBrowserCookie(res, outcome.rememberedBrowserToken, production, config.twoFactor.rememberBrowserMs);
      }
      await completeSignIn(req, res, outcome, { now: clock().getTime(), persistentMs: options.rememberMeMs });
    },
  };
}
