import { dictionary } from '@zxcvbn-ts/language-common';

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
export function checkPassword(password: string, options: PasswordPolicyOptions): string[] {
  const length = [...password].length;
  if (length < options.minLength) {
    return [`Passwords must be at least ${options.minLength} characters.`];
  }
  if (length > options.maxLength) {
    return [`Passwords must be at most ${options.maxLength} characters.`];
  }
  const problems: string[] = [];
  if (commonPasswords.has(password.toLowerCase())) {
    problems.push('This password is too common. Choose one that is harder to guess.');
  }
  if (options.requireComposition) {
    if (!/[a-z]/.test(password)) problems.push("Passwords must have at least one lowercase ('a'-'z').");
    if (!/[A-Z]/.test(password)) problems.push("Passwords must have at least one uppercase ('A'-'Z').");
    if (!/[0-9]/.test(password)) problems.push("Passwords must have at least one digit ('0'-'9').");
    if (!/[^a-zA-Z0-9]/.test(password)) {
      problems.push('Passwords must have at least one non letter or digit character.');
    }
  }
  return problems;
}
