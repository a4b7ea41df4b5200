import type { UserManager } from '../identity/user-manager.js';
import { validationMessages } from '../messages.js';
import { field, type FieldErrors } from './forms.js';

/**
 * What the email field of a form says, given what was typed and what normaliseEmail made of
 * it: undefined when it holds an address.
 */
export function emailFieldError(typed: string, email: string | undefined): string | undefined {
  if (email) return undefined;
  return typed ? validationMessages.emailInvalid : validationMessages.emailRequired;
}

/** The field a new password is typed in, and the texts a form shows about it. */
export interface NewPasswordField {
  name: string;
  required: string;
  mismatch: string;
}

/** Register and Reset password: the "Password" field. */
const passwordField: NewPasswordField = {
  name: 'password',
  required: validationMessages.passwordRequired,
  mismatch: validationMessages.passwordMismatch,
};

/** Change and Set password on the Manage pages: the "New password" field. */
export const newPasswordField: NewPasswordField = {
  name: 'newPassword',
  required: validationMessages.newPasswordRequired,
  mismatch: validationMessages.newPasswordMismatch,
};

/**
 * The one check of a new password and its confirmation: required, the password policy, and the
 * `confirmPassword` field equal to it. Adds what fails to `errors`, keyed by field.
 */
export function checkNewPassword(
  body: unknown,
  errors: FieldErrors,
  users: Pick<UserManager, 'validatePassword'>,
  input: NewPasswordField = passwordField,
): void {
  const password = field(body, input.name);
  if (!password) errors[input.name] = input.required;
  else {
    const problems = users.validatePassword(password);
    if (problems.length) errors[input.name] = problems.join(' ');
  }
  if (password && field(body, 'confirmPassword') !== password) errors.confirmPassword = input.mismatch;
}
