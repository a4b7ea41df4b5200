/** Every email and SMS the app sends: subject and body, built from the links they carry. */
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
