import type { Request, Response } from 'express';
import { isUuid, type User } from '../../db/stores/user-store.js';
import type { Services } from '../../composition.js';
import { normaliseEmail } from '../../identity/email-address.js';
import { describeErrors } from '../../identity/identity-result.js';
import { looksLikeUrlToken } from '../../identity/token-store.js';
import { pageMessages, pageTitles } from '../../messages.js';
import { field, queryParam, type FieldErrors } from '../forms.js';
import { accountLimitKeys } from '../../identity/account-limit-keys.js';
import { checkNewPassword, emailFieldError } from '../form-checks.js';
import { RATE_LIMITS } from '../rate-limits.js';
import { auditContext } from '../audit-context.js';

export interface PasswordControllerOptions {
  /** Ends the sign-in throttle of an account whose owner just proved control of its address. */
  clearSignInThrottle(user: User): Promise<void>;
}

export type PasswordControllerDeps = Pick<Services, 'config' | 'keys' | 'passwordReset' | 'rateLimiter' | 'users'>;

/** Both come from the reset link, as hidden fields: the link already says whose account it is. */
interface ResetForm {
  userId: string;
  code: string;
}

/** ForgotPassword and ResetPassword: the pages reachable without signing in. */
export class PasswordController {
  constructor(
    private readonly deps: PasswordControllerDeps,
    private readonly options: PasswordControllerOptions,
  ) {}

  forgotPasswordForm = (_req: Request, res: Response) => {
    renderForgot(res, '', {});
  };

  forgotPassword = async (req: Request, res: Response) => {
    const { config, passwordReset, rateLimiter } = this.deps;
    const raw = field(req.body, 'email');
    const email = normaliseEmail(raw);
    if (!email) return renderForgot(res, raw.slice(0, 254), { email: emailFieldError(raw, email)! });
    const perIp = await rateLimiter.hit(`forgot:ip:${req.ip}`, RATE_LIMITS.forgotPasswordPerIp);
    if (!perIp.allowed) return renderForgot(res, email, { form: pageMessages.tooManyResetRequests }, 429);
    // Over the per-address limit the page is the same, but no more mail goes to that inbox.
    const allowed = await this.hitPerAddressLimit(email);
    const sent = allowed ? await passwordReset.sendPasswordResetLink(email, auditContext(req)) : {};
    if (!allowed) await passwordReset.recordThrottled(auditContext(req));
    res.render('account/forgot-password-confirmation', {
      title: pageTitles.forgotPasswordConfirmation,
      message: pageMessages.checkEmailToReset,
      demoLink: config.demoMode ? sent.link : undefined,
    });
  };

  /**
   * The page shows nothing about the account: naming it (even masked) would tell anyone who
   * has a user id whose it is, and checking the code first would offer an unthrottled way to
   * test codes.
   */
  resetPasswordForm = (req: Request, res: Response) => {
    // The reset code is in this page's address: no Referer may carry it anywhere.
    res.set('Referrer-Policy', 'no-referrer');
    const form = { userId: queryParam(req.query, 'userId'), code: queryParam(req.query, 'code') };
    if (!isUuid(form.userId) || !looksLikeUrlToken(form.code))
      return res.status(400).render('error', { title: pageTitles.error, message: pageMessages.invalidToken, status: 400 });
    renderReset(res, form, {});
  };

  resetPassword = async (req: Request, res: Response) => {
    const form = { userId: field(req.body, 'userId').slice(0, 64), code: field(req.body, 'code').slice(0, 512) };
    const errors = resetFormErrors(req.body, form, this.deps.users);
    if (Object.keys(errors).length) return renderReset(res, form, errors);

    const perIp = await this.deps.rateLimiter.hit(`reset:ip:${req.ip}`, RATE_LIMITS.resetPasswordPerIp);
    if (!perIp.allowed) return renderReset(res, form, { form: pageMessages.tooManyResetRequests }, 429);
    const result = await this.deps.passwordReset.resetPassword(form.userId, form.code, field(req.body, 'password'), auditContext(req));
    if (!result.succeeded) return renderReset(res, form, { form: describeErrors(result.errors) });
    await this.options.clearSignInThrottle(result.value);
    res.render('account/reset-password-confirmation', { title: pageTitles.resetPasswordConfirmation });
  };

  /** Counts one reset request against every key of the address; false once any is over its limit. */
  private async hitPerAddressLimit(email: string): Promise<boolean> {
    const keys = await accountLimitKeys(this.deps, 'forgot', email);
    const perAddress = await this.deps.rateLimiter.hitAll(keys.map((k) => [k, RATE_LIMITS.forgotPasswordPerAddress]));
    return perAddress.allowed;
  }
}

function renderForgot(res: Response, email: string, errors: FieldErrors, status = 200) {
  res.status(status).render('account/forgot-password', { title: pageTitles.forgotPassword, email, errors });
}

function renderReset(res: Response, form: ResetForm, errors: FieldErrors, status = 200) {
  res.status(status).render('account/reset-password', { title: pageTitles.resetPassword, ...form, errors });
}

/** The reset form's own checks: a new password within the policy, a user id and a code from a link. */
function resetFormErrors(body: unknown, form: ResetForm, users: PasswordControllerDeps['users']): FieldErrors {
  const errors: FieldErrors = {};
  checkNewPassword(body, errors, users);
  if (!isUuid(form.userId) || !form.code) errors.form = pageMessages.invalidToken;
  return errors;
}
