/**
 * The description of each identity error code (src/identity/identity-result.ts), as pages and
 * the admin CLI show it. Code branches on the code, never on these words.
 */
export const identityErrorMessages = {
  DefaultError: 'An error has occurred.',
  PasswordTooShort: (minLength: number) => `Passwords must be at least ${minLength} characters.`,
  PasswordTooLong: (maxLength: number) => `Passwords must be at most ${maxLength} characters.`,
  PasswordTooCommon: 'This password is too common. Choose one that is harder to guess.',
  PasswordRequiresLower: "Passwords must have at least one lowercase ('a'-'z').",
  PasswordRequiresUpper: "Passwords must have at least one uppercase ('A'-'Z').",
  PasswordRequiresDigit: "Passwords must have at least one digit ('0'-'9').",
  PasswordRequiresNonAlphanumeric: 'Passwords must have at least one non letter or digit character.',
  IncorrectPassword: 'Incorrect password.',
  UserAlreadyHasPassword: 'User already has a password set.',
  InvalidToken: 'Invalid token.',
  DuplicateEmail: 'An account with this email already exists.',
  LoginAlreadyAssociated: 'This login is already linked to another account.',
  LastLoginMethod: 'This is your only way to sign in: set a password or link another login first.',
  PhoneNumberRequired: 'The Phone Number field is required.',
  InvalidPhoneNumber:
    'The Phone Number field is not a valid phone number. Enter it in international format, starting with + and the country code (e.g. +41 79 123 45 67).',
  PhoneNumberNotMobile: 'This number cannot receive text messages. Please enter a mobile number.',
  PhoneCountryNotAllowed: 'Phone numbers from this country are not supported.',
} as const;
