import { identityErrorMessages } from './identity-errors.js';

/**
 * Status messages of the Manage pages, chosen by the `?message=` key, and the messages of the
 * sign-in, register and reset pages. The quoted texts are the seed sample's (users of the
 * tutorial look for them, DESIGN.md §5); keep them as they are.
 */
export const statusMessages: Record<string, string> = {
  ChangePasswordSuccess: 'Your password has been changed.',
  SetPasswordSuccess: 'Your password has been set.',
  SetTwoFactorSuccess: 'Your two factor provider has been set.',
  DisableTwoFactorSuccess: 'Two-factor authentication is off: signing in now asks for your password only.',
  ChangePasswordBrowserForgotten:
    'Your password has been changed. This browser is no longer remembered, so your next sign-in here will ask for a code.',
  AddPhoneSuccess: 'The phone number was added.',
  RemovePhoneSuccess: 'Your phone number was removed.',
  RemoveLoginSuccess: 'The external login was removed.',
  AddLoginSuccess: 'The external login was added.',
  LoginAlreadyLinked: identityErrorMessages.LoginAlreadyAssociated,
  Error: identityErrorMessages.DefaultError,
};

export const pageMessages = {
  invalidLogin: 'Invalid login attempt.',
  mustConfirmEmail: 'You must have a confirmed email to log on.',
  checkEmailToConfirm: 'Please check your email and confirm your email address.',
  checkEmailToReset: 'Please check your email to reset your password.',
  tooManySignInAttempts: 'Too many sign-in attempts. Please wait a few minutes and try again.',
  tooManyResetRequests: 'Too many requests. Please wait a while and try again.',
  tooManyRegistrations: 'Too many registrations. Please wait a while and try again.',
  externalLoginFailure: 'Unsuccessful login with service.',
  lockedOutTitle: 'Locked out',
  lockedOut: 'This account has been locked out, please try again later.',
  lockedOutFor: (wait: string) => `You can try again in ${wait}.`,
  invalidToken: identityErrorMessages.InvalidToken,
  emailAlreadyConfirmed: 'This email address is already confirmed. You can log in.',
  invalidCode: 'Invalid code.',
  failedToVerifyPhone: 'Failed to verify phone',
  confirmAccountMadeWithLogin: (provider: string) =>
    `This account was created with a ${provider} sign-in. Confirm it only if you created it: ` +
    `confirming lets that ${provider} account sign in with your address.`,
  confirmOrSetOwnPassword: 'If you did not create it, do not confirm; set your own password instead, which also removes that sign-in:',
} as const;
