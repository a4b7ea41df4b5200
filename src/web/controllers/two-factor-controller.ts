import type { Request, Response } from 'express';
import type { Config } from '../../config.js';
import type { Clock } from '../../clock.js';
import { DAY } from '../../config-values.js';
import type { PendingSignIn } from '../../identity/sign-in/pending-sign-in.js';
import type { PendingStep, SignInManager } from '../../identity/sign-in/sign-in-manager.js';
import type { User } from '../../db/stores/user-store.js';
import { pageMessages, pageTitles, twoFactorMessages } from '../../messages.js';
import { auditContext } from '../audit-context.js';
import { checkbox, field, type FieldErrors } from '../forms.js';
import { readRememberBrowserCookie, setRememberBrowserCookie } from '../remember-browser-cookie.js';
import type { RouteOptions } from '../route-options.js';
import { CODE_INPUT_MAX_LENGTH, CODE_INPUT_PATTERN, normaliseCode } from '../security-code-input.js';
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
export class TwoFactorController {
  private readonly production: boolean;

  constructor(
    private readonly deps: TwoFactorControllerDeps,
    private readonly options: RouteOptions,
  ) {
    this.production = deps.config.production;
  }

  sendCodeForm = async (req: Request, res: Response) => {
    const pending = readPendingSignIn(req, this.deps.signIn);
    if (!pending) return res.redirect('/account/login');
    const step = await this.deps.signIn.resumePending(pending);
    if (!step) return this.expired(req, res);
    this.renderSendCode(res, step.user, step.pending, {});
  };

  sendCode = async (req: Request, res: Response) => {
    const step = await this.pendingWithUser(req);
    if (!step) return this.expired(req, res);
    const { pending, user } = step;
    const provider = field(req.body, 'selectedProvider');
    const result = await this.deps.signIn.sendCode(step, provider, auditContext(req));
    switch (result.status) {
      case 'Sent': {
        pending.provider = provider;
        const query = new URLSearchParams({ provider, returnUrl: pending.returnUrl, rememberMe: String(pending.rememberMe) });
        return res.redirect(303, `/account/verify-code?${query}`);
      }
      case 'NotDelivered':
        // The code exists and the outbox retries it, but the user is told plainly and may ask again.
        pending.provider = provider;
        return this.renderSendCode(res, user, pending, { form: twoFactorMessages.codeNotSent });
      case 'RateLimited':
        // The page keeps the choice the user made, and says when that way can be asked again.
        return renderRateLimited(res, result, this.deps.clock(), (errors) =>
          this.renderSendCode(res, user, { ...pending, provider }, errors, 429),
        );
      case 'InvalidProvider':
        return this.renderSendCode(res, user, pending, { selectedProvider: twoFactorMessages.selectProvider });
      case 'LockedOut':
        return renderLockedOut(req, res, result, this.deps.clock());
    }
  };

  verifyCodeForm = async (req: Request, res: Response) => {
    const pending = readPendingSignIn(req, this.deps.signIn);
    if (!pending) return res.redirect('/account/login');
    if (!pending.provider) return res.redirect('/account/send-code');
    const step = await this.deps.signIn.resumePending(pending);
    if (!step) return this.expired(req, res);
    await this.renderVerifyCode(res, step.user, step.pending, {});
  };

  verifyCode = async (req: Request, res: Response) => {
    const step = await this.pendingWithUser(req);
    if (!step?.pending.provider) return this.expired(req, res);
    const { pending, user } = step;
    const rawCode = field(req.body, 'code');
    const code = normaliseCode(rawCode);
    // A malformed code, or one posted for another provider than the one sent, is refused
    // without being checked or counted: it cannot be right, and nothing changes.
    if (!code || field(req.body, 'provider') !== pending.provider) {
      const errors: FieldErrors = !rawCode
        ? { code: twoFactorMessages.codeRequired }
        : { form: pageMessages.invalidCode, ...(!code && { code: twoFactorMessages.codeFormat }) };
      return this.renderVerifyCode(res, user, pending, errors);
    }
    const outcome = await this.deps.signIn.verifyCode(step, pending.provider, code, {
      rememberMe: checkbox(req.body, 'rememberMe'),
      rememberBrowser: checkbox(req.body, 'rememberBrowser'),
      previousBrowserToken: readRememberBrowserCookie(req, this.production),
      context: auditContext(req),
    });
    if (outcome.status === 'LockedOut') return renderLockedOut(req, res, outcome, this.deps.clock());
    if (outcome.status === 'Expired') return this.expired(req, res);
    if (outcome.status === 'Failed') {
      const errors = { form: pageMessages.invalidCode, code: twoFactorMessages.triesLeft(outcome.attemptsLeft) };
      return this.renderVerifyCode(res, user, pending, errors);
    }
    if (outcome.rememberedBrowserToken) {
      setRememberBrowserCookie(res, outcome.rememberedBrowserToken, this.production, this.deps.config.twoFactor.rememberBrowserMs);
    }
    await completeSignIn(req, res, outcome, { now: this.deps.clock().getTime(), persistentMs: this.options.rememberMeMs });
  };

  /** Cancel sign-in: the pending state goes, so neither code page opens again without the password. */
  cancelSignIn = (req: Request, res: Response) => {
    if (req.session) delete req.session.twoFactor;
    res.redirect(303, '/account/login');
  };

  private expired(req: Request, res: Response) {
    if (req.session) delete req.session.twoFactor;
    res.status(400).render('account/sign-in-expired', { title: pageTitles.signInExpired, message: twoFactorMessages.signInExpired });
  }

  /** The pending state and its user, or undefined when the page must say the sign-in expired. */
  private async pendingWithUser(req: Request): Promise<PendingStep | undefined> {
    const pending = readPendingSignIn(req, this.deps.signIn);
    return pending && this.deps.signIn.resumePending(pending);
  }

  private renderSendCode(res: Response, user: User, pending: PendingSignIn, errors: FieldErrors, status = 200) {
    const choices = this.deps.signIn
      .factorsOf(user)
      .map((factor) => ({ ...factor, label: twoFactorMessages.sendChoice(factor.name, factor.hint) }));
    const providers = choices.map((choice) => choice.name);
    res.status(status).render('account/send-code', {
      title: pageTitles.sendCode,
      providers,
      choices,
      selectedProvider: pending.provider ?? providers[0],
      returnUrl: pending.returnUrl,
      rememberMe: pending.rememberMe,
      errors: providers.length ? errors : { form: twoFactorMessages.noProviders },
      text: twoFactorMessages,
    });
  }

  private async renderVerifyCode(res: Response, user: User, pending: PendingSignIn, errors: FieldErrors) {
    const provider = pending.provider!;
    const demoCode = this.deps.config.demoMode ? await this.deps.signIn.demoCode(user, provider) : undefined;
    const hint = this.deps.signIn.factorsOf(user).find((factor) => factor.name === provider)?.hint;
    const rememberBrowserDays = Math.round(this.deps.config.twoFactor.rememberBrowserMs / DAY);
    res.render('account/verify-code', {
      title: pageTitles.verifyCode,
      provider,
      demoCode,
      returnUrl: pending.returnUrl,
      rememberMe: pending.rememberMe,
      errors,
      text: {
        ...twoFactorMessages,
        sentBy: twoFactorMessages.codeSentBy(provider),
        sentTo: twoFactorMessages.codeSentTo(hint),
        rememberBrowserHint: twoFactorMessages.rememberBrowserHint(rememberBrowserDays),
      },
      codeInput: { maxLength: CODE_INPUT_MAX_LENGTH, pattern: CODE_INPUT_PATTERN },
    });
  }
}
