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
