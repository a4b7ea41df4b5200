/**
 * Every text the app sends or shows as a status, in one place. The quoted texts are the seed
 * sample's (users of the tutorial look for them); keep them as they are.
 */
export const statusMessages: Record<string, string> = {
  ChangePasswordSuccess: 'Your password has been changed.',
  SetPasswordSuccess: 'Your password has been set.',
  SetTwoFactorSuccess: 'Your two factor provider has been set.',
  AddPhoneSuccess: 'The phone number was added.',
  RemovePhoneSuccess: 'Your phone number was removed.',
  RemoveLoginSuccess: 'The external login was removed.',
  AddLoginSuccess: 'The external login was added.',
  LoginAlreadyLinked: 'This login is already linked to another account.',
  Error: 'An error has occurred.',
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
  lockedOutTitle: 'Locked out.',
  lockedOut: 'This account has been locked out, please try again later.',
  lockedOutFor: (wait: string) => `You can try again in ${wait}.`,
  invalidToken: 'Invalid token.',
  invalidCode: 'Invalid code.',
  failedToVerifyPhone: 'Failed to verify phone',
  confirmAccountMadeWithLogin: (provider: string) =>
    `This account was created with a ${provider} sign-in. Confirm it only if you created it: ` +
    `confirming lets that ${provider} account sign in with your address.`,
  confirmOrSetOwnPassword: 'If you did not create it, do not confirm; set your own password instead, which also removes that sign-in:',
} as const;

export interface EmailContent {
  subject: string;
  body: string;
}

export const emails = {
  confirmAccount: (link: string): EmailContent => ({
    subject: 'Confirm your account',
    body: `Please confirm your account by clicking this link: ${link}`,
  }),
  alreadyRegistered: (loginLink: string, resetLink: string): EmailContent => ({
    subject: 'You already have an account',
    body:
      'Someone, perhaps you, tried to register a new account with this email address, which ' +
      `already has one. To sign in, go to ${loginLink}. Forgot your password? ${resetLink}. ` +
      'If it was not you, you can ignore this email: nothing has changed.',
  }),
  unconfirmedAccountNotice: (confirmLink: string, resetLink: string): EmailContent => ({
    subject: 'Confirm your account, or set your own password',
    body:
      'Someone, perhaps you, tried to register a new account with this email address. It ' +
      'already has an account, made earlier by someone who never confirmed the address. ' +
      `If you made it and remember its password, confirm it here: ${confirmLink} ` +
      'If you did not make it, or are not sure, set your own password here instead: ' +
      `${resetLink} That also confirms the address, and whoever made the account can no longer ` +
      'sign in with theirs. If you do not want an account, ignore this email: an unconfirmed ' +
      'account is deleted after a few days.',
  }),
  resetPassword: (link: string): EmailContent => ({
    subject: 'Reset Password',
    body: `Please reset your password by clicking here: ${link}`,
  }),
  externalLoginForExistingEmail: (provider: string, loginLink: string): EmailContent => ({
    subject: 'You already have an account',
    body:
      `Someone, perhaps you, tried to create an account with a ${provider} sign-in using this ` +
      'email address, which already has an account. Nothing was linked. To sign in with ' +
      `${provider}, sign in at ${loginLink} first, then add the login under Manage. ` +
      'If it was not you, you can ignore this email: nothing has changed.',
  }),
  passwordChanged: (): EmailContent => ({
    subject: 'Your password was changed',
    body: 'The password of your account was just changed. If this was not you, reset your ' + 'password now and contact the administrator.',
  }),
  twoFactorChanged: (enabled: boolean): EmailContent => ({
    subject: `Two-factor authentication was turned ${enabled ? 'on' : 'off'}`,
    body:
      `Two-factor authentication was just turned ${enabled ? 'on' : 'off'} for your account. If this ` +
      'was not you, reset your password now and contact the administrator.',
  }),
  phoneNumberChanged: (change: 'added' | 'changed' | 'removed'): EmailContent => ({
    subject: 'Your phone number was changed',
    body:
      `The phone number of your account was just ${change}. If this was not you, reset your ` +
      'password now and contact the administrator.',
  }),
  twoFactorLockedOut: (): EmailContent => ({
    subject: 'Your account was locked',
    body:
      'Someone entered several wrong security codes for your account, twice in a row, after ' +
      'signing in with your password. Your account is locked for a while each time. If this ' +
      'was not you, someone knows your password: reset your password now and contact the ' +
      'administrator.',
  }),
  securityCode: (code: string): EmailContent => ({
    subject: 'Security Code',
    body: `Your security code is: ${code}`,
  }),
};

export const sms = {
  securityCode: (code: string) => `Your security code is: ${code}`,
};

/** Two-factor sign-in, phone numbers and "remember this browser" (page texts). */
export const twoFactorMessages = {
  phoneCode: 'Phone Code',
  emailCode: 'Email Code',
  demoCode: (provider: string) => `For DEMO purposes the current ${provider} code is:`,
  demoPhoneCode: 'For DEMO purposes only, the current code is',
  codeNotSent: 'We could not send the code. Please try again.',
  tooManyCodes: (wait: string) => `Too many codes were requested. Please try again in ${wait}.`,
  /** The Send Code page's choices ("Text a code to •••• 4567"). */
  sendChoice: (provider: string, hint: string | undefined) =>
    provider === 'Phone Code' ? `Text a code to ${hint}` : provider === 'Email Code' ? `Email a code to ${hint}` : provider,
  codeSentRecently: (ago: string, wait: string) => `A code was sent ${ago} ago; you can ask again in ${wait}.`,
  selectProvider: 'Select a way to receive your code.',
  noProviders: 'This account has no confirmed email address or phone number to send a code to. Please contact the administrator.',
  signInExpired: 'Your sign-in has expired or was not started. Please log in again.',
  phoneRequired: 'The Phone Number field is required.',
  phoneInvalid:
    'The Phone Number field is not a valid phone number. Enter it in international format, starting with + and the country code (e.g. +41 79 123 45 67).',
  phoneNotMobile: 'This number cannot receive text messages. Please enter a mobile number.',
  phoneCountryNotAllowed: 'Phone numbers from this country are not supported.',
  codeRequired: 'The Code field is required.',
} as const;

/** The one refusal of the input boundary (src/web/input-boundary.ts): control characters, broken text. */
export const inputMessages = {
  fieldRefused: 'This field contains a character that is not allowed (a control character or broken text).',
  formRefused: 'The form contained a character that is not allowed, so nothing was changed. Please check what you typed and try again.',
} as const;
