// Control and invisible format characters (zero-width space, direction overrides) are refused:
// they would let two different addresses look the same on an admin's screen.
const ADDRESS = /^[^\s@\p{Cc}\p{Cf}]+@[^\s@\p{Cc}\p{Cf}]+\.[^\s@\p{Cc}\p{Cf}.]{2,}$/u;

/**
 * A deliberately plain check: one @, no spaces, control or invisible characters, a dotted
 * domain, at most 254 characters (RFC 5321). Unicode local parts and IDN domains pass; the
 * only real proof of an address is the confirmation link.
 */
export function normaliseEmail(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const email = input.trim().normalize('NFC');
  if (email.length === 0 || email.length > 254) return undefined;
  if (!ADDRESS.test(email)) return undefined;
  const domain = email.split('@')[1];
  if (domain.includes('..') || domain.startsWith('.')) return undefined;
  return email;
}

/**
 * The form every per-address limit is keyed on (docs/rate-limits.md), for an address that
 * normaliseEmail accepted. It merges at least every spelling the database's case-insensitive
 * email column treats as one account, so no spelling gets a fresh budget:
 * - NFKC, so fullwidth letters and the Kelvin sign K (U+212A) become plain ones;
 * - lower case one character at a time, as Postgres's lower() does (JavaScript's whole-string
 *   toLowerCase() turns a final capital sigma into ς, which lower() does not);
 * - "İ" (U+0130) lowers to "i" + U+0307 in JavaScript but to "i" in the database: drop the dot.
 * It only ever names a counter; the address stored and mailed stays normaliseEmail's.
 */
export function emailLimitKey(email: string): string {
  const lowered = [...email.normalize('NFKC')].map((c) => c.toLowerCase()).join('');
  return lowered.replace(/i\u0307/g, 'i').normalize('NFKC');
}
