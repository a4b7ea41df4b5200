/**
 * A deliberately plain check: one @, no spaces or control characters, a dotted domain, at
 * most 254 characters (RFC 5321). Unicode local parts and IDN domains pass; the only real
 * proof of an address is the confirmation link.
 */
export function normaliseEmail(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const email = input.trim().normalize('NFC');
  if (email.length === 0 || email.length > 254) return undefined;
  if (!/^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}.]{2,}$/u.test(email)) return undefined;
  if (email.split('@')[1].includes('..')) return undefined;
  return email;
}
