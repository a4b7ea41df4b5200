import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { identityError, type IdentityErrorCode } from './identity-result.js';

export type PhoneNumberErrorCode = Extract<
  IdentityErrorCode,
  'PhoneNumberRequired' | 'InvalidPhoneNumber' | 'PhoneNumberNotMobile' | 'PhoneCountryNotAllowed'
>;

/** A refusal carries its code and `error`, the description shown under the field. */
export type PhoneNumberResult = { ok: true; e164: string; country?: string } | { ok: false; code: PhoneNumberErrorCode; error: string };

function refused(code: PhoneNumberErrorCode): PhoneNumberResult {
  return { ok: false, code, error: identityError(code).description };
}

// E.164 allows 15 digits; with spaces, dashes and brackets a real number stays well under 32.
const MAX_INPUT_LENGTH = 32;
// Digits and the usual separators only: no letters (vanity numbers), emoji or control characters.
const ALLOWED = /^\+[0-9 ().\-/]+$/;
// Numbers that cannot take a text or that bill the sender: SMS-pumping fraud targets these.
const REFUSED_TYPES = new Set(['PREMIUM_RATE', 'SHARED_COST', 'TOLL_FREE', 'UAN', 'VOICEMAIL', 'PAGER']);

/**
 * Parses what the user typed into an E.164 number (`+41791234567`), the only form we store or
 * send to. International format is required: guessing a country from the request would send
 * codes to the wrong place. Unparseable, invalid and premium-rate numbers are refused before
 * anything is sent.
 */
export function parsePhoneNumber(input: string, allowedCountries: readonly string[] = []): PhoneNumberResult {
  const text = input.trim();
  if (text === '') return refused('PhoneNumberRequired');
  if (text.length > MAX_INPUT_LENGTH || !ALLOWED.test(text)) return refused('InvalidPhoneNumber');
  const parsed = parsePhoneNumberFromString(text);
  if (!parsed || !parsed.isValid()) return refused('InvalidPhoneNumber');
  const type = parsed.getType();
  if (type && REFUSED_TYPES.has(type)) return refused('PhoneNumberNotMobile');
  if (allowedCountries.length > 0 && !(parsed.country && allowedCountries.includes(parsed.country))) {
    return refused('PhoneCountryNotAllowed');
  }
  return { ok: true, e164: parsed.number, country: parsed.country };
}

/** Shows a stored number readably (+41 79 123 45 67); falls back to the E.164 form. */
export function formatPhoneNumber(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}
