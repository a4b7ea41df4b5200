import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../../config.js';
import type { Clock } from '../../clock.js';
import type { ExternalLoginInfo, ExternalLoginManager } from '../../identity/external-logins.js';
import type { RateLimiter } from '../../identity/rate-limiter.js';
import type { SecretKeys } from '../../identity/secret-keys.js';
import type { SignInManager } from '../../identity/sign-in/sign-in-manager.js';
import type { UserManager } from '../../identity/user-manager.js';
import { normaliseEmail } from '../../identity/email-address.js';
import { pageMessages, pageTitles } from '../../messages.js';
import { emailFieldError } from '../form-checks.js';
import { field, safeLocalUrl, type FieldErrors } from '../forms.js';
import { accountLimitKeys } from '../../identity/account-limit-keys.js';
import { RATE_LIMITS } from '../rate-limits.js';
import type { ExternalAuthIntent, GoogleAuth } from '../google-auth.js';
import { readRememberBrowserCookie } from '../remember-browser-cookie.js';
import { regenerateSession } from '../session.js';
import { completeSignIn, continueSignIn, renderLockedOut } from '../sign-in-session.js';
import { auditContext } from '../audit-context.js';

/** A provider's login waits this long for ExternalLoginConfirmation. */
const PENDING_LOGIN_TTL_MS = 10 * 60_000;

export interface ExternalLoginControllerOptions {
  google?: GoogleAuth;
  /** How long a "Remember me" cookie may last (its session ends on the server by docs/sessions.md). */
  rememberMeMs: number;
  /** Finishes a callback that was started from Manage logins (manage-logins-controller.ts). */
  completeLink(req: Request, res: Response, login: ExternalLoginInfo, intent: ExternalAuthIntent): Promise<void>;
}

export interface ExternalLoginControllerDeps {
  clock: Clock;
  config: Config;
  externalLogins: ExternalLoginManager;
  keys: SecretKeys;
  rateLimiter: RateLimiter;
  signIn: SignInManager;
  users: Pick<UserManager, 'findByEmail'>;
}

/** ExternalLogin, ExternalLoginCallback, ExternalLoginConfirmation and ExternalLoginFailure. */
export class ExternalLoginController {
  constructor(
    private readonly deps: ExternalLoginControllerDeps,
    private readonly options: ExternalLoginControllerOptions,
  ) {}

  externalLogin = (req: Request, res: Response, next: NextFunction) => {
    const { google } = this.options;
    if (!google || field(req.body, 'provider') !== 'Google') return failure(res);
    google.challenge(req, res, next, { intent: 'login', returnUrl: safeLocalUrl(field(req.body, 'returnUrl')) });
  };

  externalLoginCallback = async (req: Request, res: Response) => {
    // The provider's code and state are in this page's address: no Referer may carry them.
    res.set('Referrer-Policy', 'no-referrer');
    const { google } = this.options;
    if (!google) return failure(res);
    const outcome = await google.callback(req, res);
    if (!outcome.ok) {
      delete req.session.pendingExternalLogin;
      await this.deps.externalLogins.recordFailure(req.user?.id ?? null, 'Google', outcome.reason, auditContext(req));
      return failure(res);
    }
    if (outcome.intent.intent === 'link') return this.options.completeLink(req, res, outcome.login, outcome.intent);
    await this.signInWith(req, res, outcome.login, outcome.intent.returnUrl);
  };

  confirmationForm = (req: Request, res: Response) => {
    if (req.user) return res.redirect('/manage');
    const pending = this.pendingLogin(req);
    if (!pending) return res.redirect('/account/login');
    renderConfirmation(res, pending.providerDisplayName ?? pending.loginProvider, pending.email ?? '', {});
  };

  confirmation = async (req: Request, res: Response) => {
    if (req.user) return res.redirect(303, '/manage');
    const pending = this.pendingLogin(req);
    if (!pending) return failure(res);
    const raw = field(req.body, 'email');
    const email = normaliseEmail(raw);
    if (!email) {
      const message = emailFieldError(raw, email)!;
      return renderConfirmation(res, pending.providerDisplayName ?? pending.loginProvider, raw.slice(0, 254), { email: message });
    }
    const { returnUrl, startedAt: _s, ...login } = pending;
    // The same limit as registering: an address that has an account is mailed only so often.
    const notice = await this.deps.rateLimiter.hitAll(
      (await accountLimitKeys(this.deps, 'notice', email)).map((k) => [k, RATE_LIMITS.accountNoticePerAddress]),
    );
    const result = await this.deps.externalLogins.createUserWithLogin(email, login, auditContext(req), { notifyExisting: notice.allowed });
    delete req.session.pendingExternalLogin;
    if (result.outcome === 'LoginTaken') return failure(res);
    if (result.outcome === 'Created') {
      const signedIn = {
        status: 'SignedIn' as const,
        user: result.user,
        rememberMe: false,
        returnUrl,
        signedInAt: this.deps.clock().getTime(),
      };
      return completeSignIn(req, res, signedIn, this.sessionTimes());
    }
    // New unconfirmed account or an address that already has one: the same page either way.
    res.render('account/check-email', {
      title: pageTitles.checkYourEmail,
      message: pageMessages.checkEmailToConfirm,
      demoLink: this.deps.config.demoMode ? result.link : undefined,
    });
  };

  private async signInWith(req: Request, res: Response, login: ExternalLoginInfo, returnUrl: string) {
    const outcome = await this.deps.signIn.externalSignIn(login, {
      rememberMe: false,
      returnUrl,
      rememberedBrowserToken: readRememberBrowserCookie(req, this.deps.config.production),
      context: auditContext(req),
    });
    switch (outcome.status) {
      case 'SignedIn':
      case 'RequiresTwoFactor':
        // Same as after a password: a remembered browser signs in, otherwise Send Code.
        return continueSignIn(req, res, outcome, this.sessionTimes());
      case 'LockedOut':
        return renderLockedOut(req, res, outcome, this.deps.clock());
      case 'NotAllowed':
        return res.render('account/login', {
          title: pageTitles.logIn,
          email: '',
          returnUrl,
          rememberMe: false,
          errors: { form: pageMessages.mustConfirmEmail },
        });
      default:
        // No account holds this login yet. A new session id first: a session planted in this
        // browser beforehand must not be able to claim this person's login.
        await regenerateSession(req);
        req.session.pendingExternalLogin = { ...login, returnUrl, startedAt: this.deps.clock().getTime() };
        return res.redirect(303, '/account/external-login-confirmation');
    }
  }

  private pendingLogin(req: Request) {
    const pending = req.session.pendingExternalLogin;
    if (pending && this.deps.clock().getTime() - pending.startedAt < PENDING_LOGIN_TTL_MS) return pending;
    delete req.session.pendingExternalLogin;
    return undefined;
  }

  private sessionTimes() {
    return { now: this.deps.clock().getTime(), persistentMs: this.options.rememberMeMs };
  }
}

function failure(res: Response) {
  res.render('account/external-login-failure', { title: pageTitles.loginFailure, message: pageMessages.externalLoginFailure });
}

function renderConfirmation(res: Response, provider: string, email: string, errors: FieldErrors) {
  res.render('account/external-login-confirmation', { title: pageTitles.register, provider, email, errors });
}
