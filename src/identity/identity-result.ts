import { identityErrorMessages } from '../messages.js';

/**
 * Expected failures as values with a code (ASP.NET Identity's IdentityError): code decides on
 * `code`, pages show `description`. The union is closed, so a new failure is added here first.
 */
export type IdentityErrorCode = keyof typeof identityErrorMessages;

export interface IdentityError {
  code: IdentityErrorCode;
  description: string;
}

/** Expected outcomes are values, not exceptions (as in ASP.NET Identity's IdentityResult). */
export type IdentityResult<T> = { succeeded: true; value: T } | { succeeded: false; errors: IdentityError[] };

type Described<C extends IdentityErrorCode> = (typeof identityErrorMessages)[C];
type DescriptionArgs<C extends IdentityErrorCode> = Described<C> extends (...args: infer A) => string ? A : [];

/** The error with its catalogue description; codes whose text has a value take it as arguments. */
export function identityError<C extends IdentityErrorCode>(code: C, ...args: DescriptionArgs<C>): IdentityError {
  const text = identityErrorMessages[code] as string | ((...values: unknown[]) => string);
  return { code, description: typeof text === 'function' ? text(...args) : text };
}

/** A failed result with one error. */
export function failed<C extends IdentityErrorCode>(code: C, ...args: DescriptionArgs<C>): { succeeded: false; errors: IdentityError[] } {
  return { succeeded: false, errors: [identityError(code, ...args)] };
}

/** The descriptions in one line, as a form field or the admin CLI shows them. */
export function describeErrors(errors: readonly IdentityError[]): string {
  return errors.map((e) => e.description).join(' ');
}

export function hasError(errors: readonly IdentityError[], code: IdentityErrorCode): boolean {
  return errors.some((e) => e.code === code);
}
