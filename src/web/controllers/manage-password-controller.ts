import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import { describeErrors, type IdentityError } from '../../identity/identity-result.js';
import type { User } from '../../db/stores/user-store.js';
import { pageTitles, validationMessages } from '../../messages.js';
import { field, type FieldErrors } from '../forms.js';
import { checkNewPassword, newPasswordField } from '../form-checks.js';
import { RATE_LIMITS } from '../rate-limits.js';
import { clearRememberBrowserCookie, readRememberBrowserCookie } from '../remember-browser-cookie.js';
import { reissueSession } from '../session.js';
import { auditContext } from '../audit-context.js';

export interface ManagePasswordOptions {
  /** How long a "Remember me" cookie may last (its session ends on the server by docs/sessions.md). */
  rememberMeMs: number;
}

export type ManagePasswordControllerDeps = Pick<
  Services,
  'clock' | 'config' | 'passwordReset' | 'rateLimiter' | 'rememberedBrowsers' | 'users'
>;

/** ChangePassword and SetPassword on the Manage pages (signed-in users only). */
export class ManagePasswordController {
  constructor(
    private readonly deps: ManagePasswordControllerDeps,
    private readonly options: ManagePasswordOptions,
  ) {}

  changePasswordForm = (_req: Request, res: Response) => {
    renderChange(res, {});
  };

  changePassword = async (req: Request, res: Response) => {
    const { rateLimiter, users } = this.deps;
    const user = req.user!;
    const errors = changePasswordFormErrors(req.body, users);
    if (Object.keys(errors).length) return renderChange(res, errors);
    // The current password is a guess like any other: whoever holds a session may not know it.
    const limit = await rateLimiter.hit(`changepw:user:${user.id}`, RATE_LIMITS.changePasswordPerUser);
    if (!limit.allowed) return renderChange(res, { form: validationMessages.tooManyPasswordChanges }, 429);
    const wasRemembered = await this.browserRemembered(req);
    const result = await users.changePassword(user.id, field(req.body, 'oldPassword'), field(req.body, 'newPassword'), auditContext(req));
    if (!result.succeeded) return renderChange(res, changePasswordErrors(result.errors));
    await this.keepThisSession(req, res, result.value, wasRemembered ? 'ChangePasswordBrowserForgotten' : 'ChangePasswordSuccess');
  };

  setPasswordForm = (req: Request, res: Response) => {
    if (req.user!.passwordHash !== null) return res.redirect('/manage');
    renderSet(res, {});
  };

  setPassword = async (req: Request, res: Response) => {
    const errors: FieldErrors = {};
    checkNewPassword(req.body, errors, this.deps.users, newPasswordField);
    if (Object.keys(errors).length) return renderSet(res, errors);
    const result = await this.deps.passwordReset.addPassword(req.user!.id, field(req.body, 'newPassword'), auditContext(req));
    if (!result.succeeded) return renderSet(res, { form: describeErrors(result.errors) });
    await this.keepThisSession(req, res, result.value, 'SetPasswordSuccess');
  };

  /** Whether this browser skips the code at sign-in now (a new stamp ends that: say so after). */
  private browserRemembered(req: Request): Promise<boolean> {
    const token = readRememberBrowserCookie(req, this.deps.config.production);
    return this.deps.rememberedBrowsers.isTwoFactorClientRemembered(req.user!, token);
  }

  /**
   * The stamp changed: every other session ends; this one carries on in a new id. A remembered
   * browser was bound to the old stamp, so its cookie goes too.
   */
  private async keepThisSession(req: Request, res: Response, user: User, message: string) {
    await reissueSession(req, user, this.deps.clock().getTime(), this.options.rememberMeMs);
    if (message === 'ChangePasswordBrowserForgotten') clearRememberBrowserCookie(res, this.deps.config.production);
    res.redirect(303, `/manage?message=${message}`);
  }
}

function renderChange(res: Response, errors: FieldErrors, status = 200) {
  res.status(status).render('manage/change-password', { title: pageTitles.changePassword, errors });
}

function renderSet(res: Response, errors: FieldErrors) {
  res.render('manage/set-password', { title: pageTitles.setPassword, errors });
}

/** The change form's own checks: the current password given, the new one within the policy. */
function changePasswordFormErrors(body: unknown, users: ManagePasswordControllerDeps['users']): FieldErrors {
  const errors: FieldErrors = {};
  if (!field(body, 'oldPassword')) errors.oldPassword = validationMessages.currentPasswordRequired;
  checkNewPassword(body, errors, users, newPasswordField);
  return errors;
}

/** A wrong current password is shown at that field; anything else at the new password. */
function changePasswordErrors(errors: IdentityError[]): FieldErrors {
  const wrongOld = errors.find((e) => e.code === 'IncorrectPassword');
  return wrongOld ? { oldPassword: wrongOld.description } : { newPassword: describeErrors(errors) };
}
