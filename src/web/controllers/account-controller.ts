import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import { normaliseEmail } from '../../identity/email-address.js';
import { pageMessages } from '../../messages.js';
import { checkbox, field, queryParam, safeLocalUrl, type FieldErrors } from '../forms.js';
import { accountLimitKeys } from '../account-limit-keys.js';
import { auditContext } from '../audit-context.js';
import { RATE_LIMITS, retryAfterSeconds } from '../rate-limits.js';
import type { RouteOptions } from '../route-options.js';
import { destroySession, establishSession } from '../session.js';
import { signInOrTwoFactor } from '../two-factor-sign-in.js';
import { describeErrors } from '../../identity/identity-result.js';

export function createAccountController(services: Services, options: RouteOptions) {
  const { users, signIn, clock, config } = services;
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
      let verdict = await services.rateLimiter.hit(`register:ip:${req.ip}`, registerPerIp);
      if (verdict.allowed) {
        const addressKeys = await accountLimitKeys(services, 'register', email!);
        verdict = await services.rateLimiter.hitAll(addressKeys.map((key) => [key, registerPerAddress]));
      }
      if (!verdict.allowed) {
        res.status(429).set('Retry-After', retryAfterSeconds(verdict.resetAt, clock()));
        return renderRegister(res, rawEmail.slice(0, 254), { form: pageMessages.tooManyRegistrations });
      }
      // Registering an address that has an account mails its owner: only so often (case D41).
      const notice = await services.rateLimiter.hitAll(
        (await accountLimitKeys(services, 'notice', email!)).map((k) => [k, RATE_LIMITS.accountNoticePerAddress]),
      );
      const result = await users.register(email!, password, auditContext(req), { notifyExisting: notice.allowed });
      if (!result.succeeded) return renderRegister(res, rawEmail, { password: describeErrors(result.errors) });
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
      const [login] = user && !user.emailConfirmed ? await services.externalLogins.getLogins(user.id) : [];
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

      const result = await signIn.passwordSignIn(email!, password, auditContext(req));
      switch (result.status) {
        case 'Succeeded':
          await establishSession(req, result.user, {
            rememberMe: form.rememberMe,
            now: clock().getTime(),
            persistentMs: options.rememberMeMs,
          });
          return res.redirect(303, form.returnUrl);
        case 'LockedOut':
          return res.render('account/lockout', { title: pageMessages.lockedOutTitle, message: pageMessages.lockedOut });
        case 'NotAllowed':
          return renderLogin(res, form, { form: pageMessages.mustConfirmEmail });
        case 'RequiresTwoFactor':
          return signInOrTwoFactor(services, req, res, result.user, {
            ...form,
            method: 'password',
            persistentMs: options.rememberMeMs,
            context: auditContext(req),
          });
        default:
          return renderLogin(res, form, { form: pageMessages.invalidLogin });
      }
    },

    async logOff(req: Request, res: Response) {
      if (req.user) await services.audit.record(services.db.knex, { userId: req.user.id, type: 'SignedOut', context: auditContext(req) });
      await destroySession(req);
      res.redirect(303, '/');
    },
  };
}
