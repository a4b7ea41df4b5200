import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import type { User } from '../../identity/user-store.js';
import { field, type FieldErrors } from '../forms.js';
import { RATE_LIMITS } from '../rate-limits.js';
import { reissueSession } from '../session.js';
import { auditContext } from '../audit-context.js';
import { describeErrors, hasError } from '../../identity/identity-result.js';
import { identityErrorMessages } from '../../messages.js';

export interface ManagePasswordOptions {
  /** How long a "Remember me" cookie may last (its session ends on the server by docs/sessions.md). */
  rememberMeMs: number;
}

/** ChangePassword and SetPassword on the Manage pages (signed-in users only). */
export function createManagePasswordController(services: Services, options: ManagePasswordOptions) {
  const { users, passwordReset, rateLimiter, clock } = services;

  function newPasswordErrors(body: unknown, errors: FieldErrors) {
    const password = field(body, 'newPassword');
    if (!password) errors.newPassword = 'The New password field is required.';
    else {
      const problems = users.validatePassword(password);
      if (problems.length) errors.newPassword = problems.join(' ');
    }
    if (password && field(body, 'confirmPassword') !== password) {
      errors.confirmPassword = 'The new password and confirmation password do not match.';
    }
  }

  /** The stamp changed: every other session ends; this one carries on in a new id. */
  async function keepThisSession(req: Request, res: Response, user: User, message: string) {
    await reissueSession(req, user, clock().getTime(), options.rememberMeMs);
    res.redirect(303, `/manage?message=${message}`);
  }

  return {
    changePasswordForm(_req: Request, res: Response) {
      res.render('manage/change-password', { title: 'Change Password', errors: {} });
    },

    async changePassword(req: Request, res: Response) {
      const user = req.user!;
      const render = (errors: FieldErrors, status = 200) =>
        res.status(status).render('manage/change-password', { title: 'Change Password', errors });
      const errors: FieldErrors = {};
      if (!field(req.body, 'oldPassword')) errors.oldPassword = 'The Current password field is required.';
      newPasswordErrors(req.body, errors);
      if (Object.keys(errors).length) return render(errors);
      // The current password is a guess like any other: whoever holds a session may not know it.
      const limit = await rateLimiter.hit(`changepw:user:${user.id}`, RATE_LIMITS.changePasswordPerUser);
      if (!limit.allowed) return render({ form: 'Too many attempts. Please wait a few minutes and try again.' }, 429);
      const result = await users.changePassword(user.id, field(req.body, 'oldPassword'), field(req.body, 'newPassword'), auditContext(req));
      if (!result.succeeded) {
        const wrongOld = hasError(result.errors, 'IncorrectPassword');
        return render(wrongOld ? { oldPassword: identityErrorMessages.IncorrectPassword } : { newPassword: describeErrors(result.errors) });
      }
      await keepThisSession(req, res, result.value, 'ChangePasswordSuccess');
    },

    setPasswordForm(req: Request, res: Response) {
      if (req.user!.passwordHash !== null) return res.redirect('/manage');
      res.render('manage/set-password', { title: 'Create Local Login', errors: {} });
    },

    async setPassword(req: Request, res: Response) {
      const render = (errors: FieldErrors) => res.render('manage/set-password', { title: 'Create Local Login', errors });
      const errors: FieldErrors = {};
      newPasswordErrors(req.body, errors);
      if (Object.keys(errors).length) return render(errors);
      const result = await passwordReset.addPassword(req.user!.id, field(req.body, 'newPassword'), auditContext(req));
      if (!result.succeeded) return render({ form: describeErrors(result.errors) });
      await keepThisSession(req, res, result.value, 'SetPasswordSuccess');
    },
  };
}
