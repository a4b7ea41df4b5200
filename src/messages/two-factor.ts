import { validationMessages } from './validation.js';

/**
 * Two-factor sign-in, phone numbers and "remember this browser" (page texts). The phone number
 * refusals are identity errors (identity-errors.ts).
 */
export const twoFactorMessages = {
  phoneCode: 'Phone Code',
  emailCode: 'Email Code',
  demoCode: 'Demo mode: the code we sent is',
  demoPhoneCode: 'For DEMO purposes only, the current code is',
  codeNotSent: 'We could not send the code. Please try again.',
  tooManyCodes: (wait: string) => `Too many codes were requested. Please try again in ${wait}.`,
  codeSentRecently: (ago: string, wait: string) => `A code was sent ${ago} ago; you can ask again in ${wait}.`,
  /** The Send Code page's choices ("Text a code to •••• 4567"). */
  sendChoice: (provider: string, hint: string | undefined) =>
    provider === 'Phone Code' ? `Text a code to ${hint}` : provider === 'Email Code' ? `Email a code to ${hint}` : provider,
  selectProvider: 'Select a way to receive your code.',
  /** Send Code: the question above the ways, and its button when there are several. */
  sendCodeQuestion: 'How should we send your code?',
  sendCodeLead: 'To finish signing in, we send you a one-time code.',
  sendCodeButton: 'Send code',
  cancelSignIn: 'Cancel sign-in',
  /** Verify Code: where the code went ('•••• 4567', 'a•••@example.com'). */
  codeSentBy: (provider: string) =>
    provider === 'Phone Code' ? 'We sent a code by text message to your phone.' : 'We sent a code by email.',
  codeSentTo: (hint: string | undefined) =>
    hint ? `It went to ${hint} and works once, for a few minutes.` : 'It works once, for a few minutes.',
  codeLabel: 'Code',
  codeFormat: 'Enter the 6 digits of the code we sent.',
  triesLeft: (n: number) => (n === 1 ? 'You have 1 try left.' : `You have ${n} tries left.`),
  verifyButton: 'Verify',
  rememberBrowser: 'Remember this browser',
  rememberBrowserHint: (days: number) =>
    `Skip the code on this browser for ${days} ${days === 1 ? 'day' : 'days'}. You can forget it at any time on the Account security page.`,
  rememberMe: 'Remember me',
  rememberMeHint: 'Keeps you signed in on this browser, also after you close it.',
  sendNewCode: 'Send a new code',
  noProviders: 'This account has no confirmed email address or phone number to send a code to. Please contact the administrator.',
  signInExpired: 'Your sign-in has expired or was not started. Please log in again.',
  codeRequired: validationMessages.codeRequired,
} as const;
