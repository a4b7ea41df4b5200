import { dictionary } from '@zxcvbn-ts/language-common';
import { identityError, type IdentityError } from './identity-result.js';

export interface PasswordPolicyOptions {
  minLength: number;
  maxLength: number;
  /** The seed's rules (upper, lower, digit, symbol); off by default, as NIST advises. */
  requireComposition: boolean;
}

// ~49,000 most common passwords, from zxcvbn-ts's maintained list (shipped with the app).
const commonPasswords = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/**
 * Returns the problems with a password, empty when it is acceptable. Length counts Unicode
 * code points, not UTF-16 units, so an emoji is one character. Passwords are checked and
 * stored exactly as typed: no trimming, no normalisation.
 */
export function passwordPolicyErrors(password: string, options: PasswordPolicyOptions): IdentityError[] {
  const length = [...password].length;
  if (length < options.minLength) return [identityError('PasswordTooShort', options.minLength)];
  if (length > options.maxLength) return [identityError('PasswordTooLong', options.maxLength)];
  const problems: IdentityError[] = [];
  if (commonPasswords.has(password.toLowerCase())) problems.push(identityError('PasswordTooCommon'));
  if (options.requireComposition) {
    if (!/[a-z]/.test(password)) problems.push(identityError('PasswordRequiresLower'));
    if (!/[A-Z]/.test(password)) problems.push(identityError('PasswordRequiresUpper'));
    if (!/[0-9]/.test(password)) problems.push(identityError('PasswordRequiresDigit'));
    if (!/[^a-zA-Z0-9]/.test(password)) problems.push(identityError('PasswordRequiresNonAlphanumeric'));
  }
  return problems;
}

/** The same check, as the descriptions a form shows under the password field. */
export function checkPassword(password: string, options: PasswordPolicyOptions): string[] {
  return passwordPolicyErrors(password, options).map((e) => e.description);
}
