/** Page titles (the `<title>` and the heading), the seed sample's where it has one. */
export const pageTitles = {
  home: 'Home',
  register: 'Register',
  logIn: 'Log in',
  checkYourEmail: 'Check your email',
  confirmEmail: 'Confirm Email',
  error: 'Error',
  signInExpired: 'Sign-in expired',
  sendCode: 'Two-factor authentication',
  verifyCode: 'Verify',
  loginFailure: 'Login Failure',
  forgotPassword: 'Forgot your password?',
  forgotPasswordConfirmation: 'Forgot Password Confirmation',
  resetPassword: 'Reset password',
  resetPasswordConfirmation: 'Reset password confirmation',
  manage: 'Manage your account',
  manageLogins: 'Manage your external logins',
  changePassword: 'Change Password',
  setPassword: 'Create Local Login',
  addPhoneNumber: 'Add Phone Number',
  verifyPhoneNumber: 'Verify Phone Number',
} as const;

/** The error page for each HTTP status the app answers with (src/web/middleware/errors.ts). */
export const errorPages: Record<number, { title: string; message: string }> = {
  400: { title: 'Bad request', message: 'The request could not be understood. Please go back and try again.' },
  403: { title: 'Forbidden', message: 'You are not allowed to do that.' },
  404: { title: 'Page not found', message: 'There is no page at this address.' },
  405: { title: 'Not allowed', message: 'This page cannot be used that way.' },
  413: { title: 'Too large', message: 'What you sent is too large. Please shorten it and try again.' },
  415: { title: 'Unsupported', message: 'This kind of request is not supported.' },
  429: { title: 'Too many requests', message: 'Too many attempts. Please wait a moment and try again.' },
  500: { title: 'Error', message: 'An error occurred while processing your request.' },
  503: { title: 'Service unavailable', message: 'Gatehouse cannot reach its database right now. Please try again in a moment.' },
};

/** The 503 page when password hashing is saturated (docs/rate-limits.md). */
export const busyPage = { title: 'Service unavailable', message: 'Gatehouse is busy right now. Please try again in a moment.' };
