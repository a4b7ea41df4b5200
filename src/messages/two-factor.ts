import { validationMessages } from './validation.js';

/**
 * Two-factor sign-in, phone numbers and "remember this browser" (page texts). The phone number
 * refusals are identity errors (identity-errors.ts).
 */
export const twoFactorMessages = {
  phoneCode: 'Phone Code',
  emailCode: 'Email Code',
  demoCode: (provider: string) => `For DEMO purposes the current ${provider} code is:`,
  demoPhoneCode: 'For DEMO purposes only, the current code is',
  codeNotSent: 'We could not send the code. Please try again.',
  tooManyCodes: (wait: string) => `Too many codes were requested. Please try again in ${wait}.`,
  codeSentRecently: (ago: string, wait: string) => `A code was sent ${ago} ago; you can ask again in ${wait}.`,
  /** The Send Code page's choices ("Text a code to •••• 4567"). */
  sendChoice: (provider: string, hint: string | undefined) =>
    provider === 'Phone Code' ? `Text a code to ${hint}` : provider === 'Email Code' ? `Email a code to ${hint}` : provider,
  selectProvider: 'Select a way to receive your code.',
  noProviders: 'This account has no confirmed email address or phone number to send a code to. Please contact the administrator.',
  signInExpired: 'Your sign-in has expired or was not started. Please log in again.',
  codeRequired: validationMessages.codeRequired,
} as const;
