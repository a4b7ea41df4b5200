import type { Request, Response } from 'express';
import type { Config } from '../../config.js';
import type { Clock } from '../../clock.js';
import { normaliseEmail } from '../../identity/email-address.js';
import type { SignInManager } from '../../identity/sign-in/sign-in-manager.js';
import { pageMessages, pageTitles, validationMessages } from '../../messages.js';
import { emailFieldError } from '../form-checks.js';
import { auditContext } from '../audit-context.js';
import { checkbox, field, queryParam, safeLocalUrl, type FieldErrors } from '../forms.js';
import { retryAfterSeconds } from '../rate-limits.js';
import { readRememberBrowserCookie } from '../remember-browser-cookie.js';
import type { RouteOptions } from '../route-options.js';
import { destroySession } from '../session.js';
import { continueSignIn, renderLockedOut } from '../sign-in-session.js';

export interface SignInControllerDeps {
  clock: Clock;
  config: Config;
  signIn: SignInManager;
}

export interface SignInControllerOptions extends RouteOptions {
  /** Reads the browser's sign-in device cookie (sign-in-device-cookie.ts). */
  readDeviceCookie(req: Request): string | undefined;
}

interface LoginForm {
  email: string;
  returnUrl: string;
  rememberMe: boolean;
}

/** Log in with a password, and log off. The conversation itself is SignInManager's. */
export class SignInController {
  private readonly production: boolean;

  constructor(
    private readonly deps: SignInControllerDeps,
    private readonly options: SignInControllerOptions,
  ) {
    this.production = deps.config.production;
  }

  loginForm = (req: Request, res: Response) => {
    this.renderLogin(res, { email: '', returnUrl: safeLocalUrl(queryParam(req.query, 'returnUrl')), rememberMe: false }, {});
  };

  login = async (req: Request, res: Response) => {
    const { clock, signIn } = this.deps;
    const form: LoginForm = {
      email: field(req.body, 'email').slice(0, 254),
      returnUrl: safeLocalUrl(field(req.body, 'returnUrl')),
      rememberMe: checkbox(req.body, 'rememberMe'),
    };
    const password = field(req.body, 'password');
    const email = normaliseEmail(form.email);
    const errors = loginFieldErrors(form.email, email, password);
    if (!email || errors) return this.renderLogin(res, form, errors ?? {});

    const outcome = await signIn.passwordSignIn({
      ...form,
      email,
      password,
      ip: req.ip,
      deviceToken: this.options.readDeviceCookie(req),
      rememberedBrowserToken: readRememberBrowserCookie(req, this.production),
      context: auditContext(req),
    });
    switch (outcome.status) {
      case 'SignedIn':
      case 'RequiresTwoFactor':
        return continueSignIn(req, res, outcome, { now: clock().getTime(), persistentMs: this.options.rememberMeMs });
      case 'Throttled':
        res.status(429).set('Retry-After', retryAfterSeconds(outcome.retryAt, clock()));
        return this.renderLogin(res, form, { form: pageMessages.tooManySignInAttempts });
      case 'LockedOut':
        return renderLockedOut(req, res, outcome, this.deps.clock());
      case 'NotAllowed':
        return this.renderLogin(res, form, { form: pageMessages.mustConfirmEmail });
      default:
        return this.renderLogin(res, form, { form: pageMessages.invalidLogin });
    }
  };

  logOff = async (req: Request, res: Response) => {
    if (req.user) await this.deps.signIn.signOut(req.user.id, auditContext(req));
    await destroySession(req);
    res.redirect(303, '/');
  };

  private renderLogin(res: Response, form: LoginForm, errors: FieldErrors) {
    res.render('account/login', { title: pageTitles.logIn, ...form, errors });
  }
}

/** The login form's own checks, before any account is looked at; undefined when it is complete. */
function loginFieldErrors(typed: string, email: string | undefined, password: string): FieldErrors | undefined {
  const errors: FieldErrors = {};
  const emailError = emailFieldError(typed, email);
  if (emailError) errors.email = emailError;
  if (!password) errors.password = validationMessages.passwordRequired;
  return Object.keys(errors).length ? errors : undefined;
}
