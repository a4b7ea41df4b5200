import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import { normaliseEmail } from '../../identity/email-address.js';
import { looksLikeUrlToken } from '../../identity/token-store.js';
import { pageMessages } from '../../messages.js';
import { field, queryParam, type FieldErrors } from '../forms.js';
import { accountLimitKeys } from '../account-limit-keys.js';
import { RATE_LIMITS } from '../rate-limits.js';
import { auditContext } from '../audit-context.js';
import { describeErrors } from '../../identity/identity-result.js';

export interface PasswordControllerOptions {
  /** Ends the sign-in throttle of an account whose owner just proved control of its address. */
  clearSignInThrottle(email: string): Promise<void>;
}

interface ResetForm {
  email: string;
  code: string;
}

/** ForgotPassword and ResetPassword: the pages reachable without signing in. */
export function createPasswordController(services: Services, options: PasswordControllerOptions) {
  const { passwordReset, rateLimiter, users, config } = services;

  function renderForgot(res: Response, email: string, errors: FieldErrors) {
    res.render('account/forgot-password', { title: 'Forgot your password?', email, errors });
  }

  function renderReset(res: Response, form: ResetForm, errors: FieldErrors) {
    res.render('account/reset-password', { title: 'Reset password', ...form, errors });
  }

  function passwordErrors(body: unknown, errors: FieldErrors, name = 'password') {
    const password = field(body, name);
    if (!password) errors[name] = 'The Password field is required.';
    else {
      const problems = users.validatePassword(password);
      if (problems.length) errors[name] = problems.join(' ');
    }
    if (password && field(body, 'confirmPassword') !== password) {
      errors.confirmPassword = 'The password and confirmation password do not match.';
    }
  }

  return {
    forgotPasswordForm(_req: Request, res: Response) {
      renderForgot(res, '', {});
    },

    async forgotPassword(req: Request, res: Response) {
      const raw = field(req.body, 'email');
      const email = normaliseEmail(raw);
      if (!email)
        return renderForgot(res, raw.slice(0, 254), {
          email: raw ? 'The Email field is not a valid e-mail address.' : 'The Email field is required.',
        });
      const perIp = await rateLimiter.hit(`forgot:ip:${req.ip}`, RATE_LIMITS.forgotPasswordPerIp);
      if (!perIp.allowed)
        return res.status(429).render('account/forgot-password', {
          title: 'Forgot your password?',
          email,
          errors: { form: pageMessages.tooManyResetRequests },
        });
      // Over the per-address limit the page is the same, but no more mail goes to that inbox.
      const perAddress = await rateLimiter.hitAll(
        (await accountLimitKeys(services, 'forgot', email)).map((k) => [k, RATE_LIMITS.forgotPasswordPerAddress]),
      );
      const sent = perAddress.allowed ? await passwordReset.sendPasswordResetLink(email, auditContext(req)) : {};
      if (!perAddress.allowed)
        await services.audit.record(services.db.knex, { type: 'PasswordResetThrottled', context: auditContext(req) });
      res.render('account/forgot-password-confirmation', {
        title: 'Forgot Password Confirmation',
        message: pageMessages.checkEmailToReset,
        demoLink: config.demoMode ? sent.link : undefined,
      });
    },

    resetPasswordForm(req: Request, res: Response) {
      // The reset code is in this page's address: no Referer may carry it anywhere.
      res.set('Referrer-Policy', 'no-referrer');
      const code = queryParam(req.query, 'code');
      if (!looksLikeUrlToken(code))
        return res.status(400).render('error', { title: 'Error', message: pageMessages.invalidToken, status: 400 });
      renderReset(res, { email: '', code }, {});
    },

    async resetPassword(req: Request, res: Response) {
      const form = { email: field(req.body, 'email').slice(0, 254), code: field(req.body, 'code').slice(0, 512) };
      const errors: FieldErrors = {};
      const email = normaliseEmail(form.email);
      if (!form.email) errors.email = 'The Email field is required.';
      else if (!email) errors.email = 'The Email field is not a valid e-mail address.';
      passwordErrors(req.body, errors);
      if (!form.code) errors.form = pageMessages.invalidToken;
      if (Object.keys(errors).length) return renderReset(res, form, errors);

      const perIp = await rateLimiter.hit(`reset:ip:${req.ip}`, RATE_LIMITS.resetPasswordPerIp);
      if (!perIp.allowed)
        return res
          .status(429)
          .render('account/reset-password', { title: 'Reset password', ...form, errors: { form: pageMessages.tooManyResetRequests } });
      const result = await passwordReset.resetPassword(email!, form.code, field(req.body, 'password'), auditContext(req));
      if (!result.succeeded) return renderReset(res, form, { form: describeErrors(result.errors) });
      await options.clearSignInThrottle(email!);
      res.render('account/reset-password-confirmation', { title: 'Reset password confirmation' });
    },
  };
}
