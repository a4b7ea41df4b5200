import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import { destinationFor } from '../../identity/two-factor-providers.js';
import type { User } from '../../db/stores/user-store.js';
import { pageMessages, twoFactorMessages } from '../../messages.js';
import { checkbox, field, safeLocalUrl, type FieldErrors } from '../forms.js';
import { readRememberBrowserCookie, setRememberBrowserCookie } from '../remember-browser-cookie.js';
import type { RouteOptions } from '../route-options.js';
import { normaliseCode } from '../security-code-input.js';
import { establishSession } from '../session.js';
import { getPendingTwoFactor, type PendingTwoFactor } from '../two-factor-session.js';
import { auditContext } from '../audit-context.js';
import { renderRateLimited } from './two-factor-views.js';

/**
 * SendCode and VerifyCode: the only pages the half-signed-in state opens. Without a fresh
 * pending state (password step passed within 5 minutes, stamp unchanged) they send nothing and
 * check nothing; `req.user` stays unset throughout, so every other page sees a visitor.
 */
export function createTwoFactorController(services: Services, options: RouteOptions) {
  const { twoFactor, codes, rememberedBrowsers, clock, config } = services;
  const production = config.env === 'production';
  const pendingOf = (req: Request) => getPendingTwoFactor(req, clock().getTime());

  function expired(req: Request, res: Response) {
    if (req.session) delete req.session.twoFactor;
    res.status(400).render('account/sign-in-expired', { title: 'Sign-in expired', message: twoFactorMessages.signInExpired });
  }

  function lockedOut(req: Request, res: Response) {
    // The pending sign-in is void: after the lockout, start again from the password.
    delete req.session.twoFactor;
    res.render('account/lockout', { title: pageMessages.lockedOutTitle, message: pageMessages.lockedOut });
  }

  function renderSendCode(res: Response, user: User, pending: PendingTwoFactor, errors: FieldErrors, status = 200) {
    const providers = twoFactor.getValidTwoFactorProviders(user);
    res.status(status).render('account/send-code', {
      title: 'Send',
      providers,
      selectedProvider: pending.provider ?? providers[0],
      returnUrl: pending.returnUrl,
      rememberMe: pending.rememberMe,
      errors: providers.length ? errors : { form: twoFactorMessages.noProviders },
    });
  }

  async function renderVerifyCode(res: Response, user: User, pending: PendingTwoFactor, errors: FieldErrors) {
    const provider = pending.provider!;
    const target = destinationFor(user, provider)?.target;
    const demoCode = config.demoMode && target ? await codes.demoCode(user.id, 'TwoFactor', target) : undefined;
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
      const pending = pendingOf(req);
      if (!pending) return res.redirect('/account/login');
      const user = await twoFactor.getTwoFactorAuthenticationUser(pending);
      if (!user) return expired(req, res);
      renderSendCode(res, user, pending, {});
    },

    async sendCode(req: Request, res: Response) {
      const pending = pendingOf(req);
      const user = pending && (await twoFactor.getTwoFactorAuthenticationUser(pending));
      if (!pending || !user) return expired(req, res);
      const provider = field(req.body, 'selectedProvider');
      const result = await twoFactor.sendTwoFactorCode(pending, provider, auditContext(req));
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
          return lockedOut(req, res);
        default:
          return expired(req, res);
      }
    },

    async verifyCodeForm(req: Request, res: Response) {
      const pending = pendingOf(req);
      if (!pending) return res.redirect('/account/login');
      if (!pending.provider) return res.redirect('/account/send-code');
      const user = await twoFactor.getTwoFactorAuthenticationUser(pending);
      if (!user) return expired(req, res);
      await renderVerifyCode(res, user, pending, {});
    },

    async verifyCode(req: Request, res: Response) {
      const pending = pendingOf(req);
      const user = pending?.provider && (await twoFactor.getTwoFactorAuthenticationUser(pending));
      if (!pending || !user) return expired(req, res);
      const rawCode = field(req.body, 'code');
      const code = normaliseCode(rawCode);
      // A malformed code, or one posted for another provider than the one sent, is refused
      // without being checked or counted: it cannot be right, and nothing changes.
      if (!code || field(req.body, 'provider') !== pending.provider) {
        return renderVerifyCode(
          res,
          user,
          pending,
          rawCode ? { form: pageMessages.invalidCode } : { code: twoFactorMessages.codeRequired },
        );
      }
      const context = auditContext(req);
      const result = await twoFactor.twoFactorSignIn(pending, pending.provider!, code, context);
      if (result.status === 'LockedOut') return lockedOut(req, res);
      if (result.status === 'Expired') return expired(req, res);
      if (result.status === 'Failed') return renderVerifyCode(res, user, pending, { form: pageMessages.invalidCode });

      const returnUrl = safeLocalUrl(pending.returnUrl);
      const rememberMe = checkbox(req.body, 'rememberMe');
      // The session's lifetime counts from the first factor, not from the code.
      await establishSession(req, result.user, {
        rememberMe,
        now: clock().getTime(),
        persistentMs: options.rememberMeMs,
        signedInAt: pending.startedAt,
      });
      if (checkbox(req.body, 'rememberBrowser')) {
        const previous = readRememberBrowserCookie(req, production);
        const token = await rememberedBrowsers.rememberTwoFactorClient(result.user, previous, context);
        setRememberBrowserCookie(res, token, production, config.twoFactor.rememberBrowserMs);
      }
      res.redirect(303, returnUrl);
    },
  };
}
