/** What a form says under a field it refuses before any manager is called (the seed's wording). */
export const validationMessages = {
  emailRequired: 'The Email field is required.',
  emailInvalid: 'The Email field is not a valid e-mail address.',
  passwordRequired: 'The Password field is required.',
  passwordMismatch: 'The password and confirmation password do not match.',
  currentPasswordRequired: 'The Current password field is required.',
  newPasswordRequired: 'The New password field is required.',
  newPasswordMismatch: 'The new password and confirmation password do not match.',
  codeRequired: 'The Code field is required.',
  tooManyPasswordChanges: 'Too many attempts. Please wait a few minutes and try again.',
} as const;
