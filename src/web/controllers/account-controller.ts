import type { Request, Response } from 'express';
import type { Config } from '../../config.js';
import { accountLimitKeys } from '../../identity/account-limit-keys.js';
import type { Clock } from '../../identity/clock.js';
import { normaliseEmail } from '../../identity/email-address.js';
import type { ExternalLoginManager } from '../../identity/external-logins.js';
import type { RateLimiter } from '../../identity/rate-limiter.js';
import type { SecretKeys } from '../../identity/secret-keys.js';
import type { SignInManager } from '../../identity/sign-in/sign-in-manager.js';
import type { UserManager } from '../../identity/user-manager.js';
import { pageMessages } from '../../messages.js';
import { checkbox, field, queryParam, safeLocalUrl, type FieldErrors } from '../forms.js';
import { auditContext } from '../audit-context.js';
import { RATE_LIMITS, retryAfterSeconds } from '../rate-limits.js';
import type { RouteOptions } from '../route-options.js';
import { readRememberBrowserCookie } from '../remember-browser-cookie.js';
import { destroySession } from '../session.js';
import { continueSignIn, renderLockedOut } from '../sign-in-session.js';

export interface AccountControllerDeps {
  clock: Clock;
  config: Config;
  externalLogins: Pick<ExternalLoginManager, 'getLogins'>;
  keys: SecretKeys;
  rateLimiter: RateLimiter;
  signIn: SignInManager;
  users: UserManager;
}

export interface AccountControllerOptions extends RouteOptions {
  /** Reads the browser's sign-in device cookie (sign-in-device-cookie.ts). */
  readDeviceCookie(req: Request): string | undefined;
}

/** Register, confirm email, log in and log off. */
export function createAccountController(deps: AccountControllerDeps, options: AccountControllerOptions) {
  const { users, signIn, clock, config, rateLimiter, externalLogins } = deps;
  const production = config.env === 'production';
  const registerPerIp = { ...RATE_LIMITS.registerPerIp, limit: config.registerAttempts.perIp };
  const registerPerAddress = { ...RATE_LIMITS.registerPerAddress, limit: config.registerAttempts.perAddress };

  function renderRegister(res: Response, email: string, errors: FieldErrors) {
    res.render('account/register', { title: 'Register', email, errors });
  }

  function renderLogin(res: Response, form: { email: string; returnUrl: string; rememberMe: boolean }, errors: FieldErrors) {
    res.render('account/login', { title: 'Log in', ...form, errors });
  }

  return {
    registerForm(_req: Request, res: Response) {
      renderRegister(res, '', {});
    },

    async register(req: Request, res: Response) {
      const rawEmail = field(req.body, 'email');
      const password = field(req.body, 'password');
      const errors: FieldErrors = {};
      const email = normaliseEmail(rawEmail);
      if (!rawEmail) errors.email = 'The Email field is required.';
      else if (!email) errors.email = 'The Email field is not a valid e-mail address.';
      if (!password) errors.password = 'The Password field is required.';
      else {
        const problems = users.validatePassword(password);
        if (problems.length) errors.password = problems.join(' ');
      }
      if (password && field(req.body, 'confirmPassword') !== password) {
        errors.confirmPassword = 'The password and confirmation password do not match.';
      }
      if (Object.keys(errors).length) return renderRegister(res, rawEmail.slice(0, 254), errors);

      // Counted before the costly hash, for taken and free addresses alike (no oracle). The IP
      // first: a flood from one place is turned away with one statement per request.
      let verdict = await rateLimiter.hit(`register:ip:${req.ip}`, registerPerIp);
      if (verdict.allowed) {
        const addressKeys = await accountLimitKeys(deps, 'register', email!);
        verdict = await rateLimiter.hitAll(addressKeys.map((key) => [key, registerPerAddress]));
      }
      if (!verdict.allowed) {
        res.status(429).set('Retry-After', retryAfterSeconds(verdict.resetAt, clock()));
        return renderRegister(res, rawEmail.slice(0, 254), { form: pageMessages.tooManyRegistrations });
      }
      // Registering an address that has an account mails its owner: only so often (case D41).
      const notice = await rateLimiter.hitAll(
        (await accountLimitKeys(deps, 'notice', email!)).map((k) => [k, RATE_LIMITS.accountNoticePerAddress]),
      );
      const result = await users.register(email!, password, auditContext(req), { notifyExisting: notice.allowed });
      if (!result.succeeded) return renderRegister(res, rawEmail, { password: result.errors.join(' ') });
      // The same page whether the address was new or already had an account.
      res.render('account/check-email', {
        title: 'Check your email',
        message: pageMessages.checkEmailToConfirm,
        demoLink: config.demoMode ? result.value.link : undefined,
      });
    },

    /**
     * The link in the confirmation mail only shows a button: mail scanners and link previews
     * fetch links, and a GET that confirmed would let them confirm an account someone else
     * registered with the reader's address. The code is in this page's address and in its
     * form, so no Referer may carry it anywhere.
     */
    async confirmEmailForm(req: Request, res: Response) {
      res.set('Referrer-Policy', 'no-referrer');
      const userId = queryParam(req.query, 'userId');
      const code = queryParam(req.query, 'code');
      if (!userId || !code) return res.status(400).render('error', { title: 'Error', message: pageMessages.invalidToken, status: 400 });
      // An account made with an external login and an address nobody proved may be someone
      // else's Google account under the reader's address (pre-hijacking): say so before the button.
      const user = await users.findById(userId);
      const [login] = user && !user.emailConfirmed ? await externalLogins.getLogins(user.id) : [];
      const loginWarning = login ? pageMessages.confirmAccountMadeWithLogin(login.providerDisplayName ?? login.loginProvider) : undefined;
      res.render('account/confirm-email-form', {
        title: 'Confirm Email',
        userId: userId.slice(0, 64),
        code: code.slice(0, 512),
        loginWarning,
        setOwnPassword: pageMessages.confirmOrSetOwnPassword,
      });
    },

    async confirmEmail(req: Request, res: Response) {
      res.set('Referrer-Policy', 'no-referrer');
      const ok = await users.confirmEmail(field(req.body, 'userId'), field(req.body, 'code'), auditContext(req));
      if (!ok) {
        return res.status(400).render('error', { title: 'Error', message: pageMessages.invalidToken, status: 400 });
      }
      res.render('account/confirm-email', { title: 'Confirm Email' });
    },

    loginForm(req: Request, res: Response) {
      renderLogin(res, { email: '', returnUrl: safeLocalUrl(queryParam(req.query, 'returnUrl')), rememberMe: false }, {});
    },

    async login(req: Request, res: Response) {
      const typed = field(req.body, 'email').slice(0, 254);
      const form = {
        email: typed,
        returnUrl: safeLocalUrl(field(req.body, 'returnUrl')),
        rememberMe: checkbox(req.body, 'rememberMe'),
      };
      const password = field(req.body, 'password');
      const errors: FieldErrors = {};
      const email = normaliseEmail(typed);
      if (!typed) errors.email = 'The Email field is required.';
      else if (!email) errors.email = 'The Email field is not a valid e-mail address.';
      if (!password) errors.password = 'The Password field is required.';
      if (Object.keys(errors).length) return renderLogin(res, form, errors);

      const outcome = await signIn.passwordSignIn({
        ...form,
        email: email!,
        password,
        ip: req.ip,
        deviceToken: options.readDeviceCookie(req),
        rememberedBrowserToken: readRememberBrowserCookie(req, production),
        context: auditContext(req),
      });
      switch (outcome.status) {
        case 'SignedIn':
        case 'RequiresTwoFactor':
          return continueSignIn(req, res, outcome, { now: clock().getTime(), persistentMs: options.rememberMeMs });
        case 'Throttled':
          res.status(429).set('Retry-After', retryAfterSeconds(outcome.retryAt, clock()));
          return renderLogin(res, form, { form: pageMessages.tooManySignInAttempts });
        case 'LockedOut':
          return renderLockedOut(req, res);
        case 'NotAllowed':
          return renderLogin(res, form, { form: pageMessages.mustConfirmEmail });
        default:
          return renderLogin(res, form, { form: pageMessages.invalidLogin });
      }
    },

    async logOff(req: Request, res: Response) {
      if (req.user) await signIn.signOut(req.user.id, auditContext(req));
      await destroySession(req);
      res.redirect(303, '/');
    },
  };
}
