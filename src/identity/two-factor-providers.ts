import type { User } from '../db/stores/user-store.js';

/** The seed's provider names: they are what the Send Code page offers and the forms post. */
const PHONE_CODE = 'Phone Code';
const EMAIL_CODE = 'Email Code';
export type TwoFactorProvider = typeof PHONE_CODE | typeof EMAIL_CODE;

export interface CodeDestination {
  channel: 'sms' | 'email';
  /** E.164 number or email address: the code is bound to it. */
  target: string;
}

/**
 * The providers that can send this user a code: a phone only once verified, an email only
 * once confirmed (as in the sample, a number is used for two-factor only after verification).
 */
export function getValidTwoFactorProviders(user: User): TwoFactorProvider[] {
  const providers: TwoFactorProvider[] = [];
  if (user.phoneNumber && user.phoneNumberConfirmed) providers.push(PHONE_CODE);
  if (user.email && user.emailConfirmed) providers.push(EMAIL_CODE);
  return providers;
}

/** Where a provider's code goes, or undefined when the user does not have that provider. */
export function destinationFor(user: User, provider: string): CodeDestination | undefined {
  if (!getValidTwoFactorProviders(user).includes(provider as TwoFactorProvider)) return undefined;
  return provider === PHONE_CODE ? { channel: 'sms', target: user.phoneNumber! } : { channel: 'email', target: user.email };
}
