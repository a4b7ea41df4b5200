import type { CookieOptions, Request } from 'express';

/**
 * The attributes of every cookie Gatehouse sets: HttpOnly so scripts cannot read it,
 * SameSite=Lax, Path=/, and in production Secure (their names then carry the `__Host-` prefix,
 * so no subdomain or plain-HTTP page can set or overwrite them).
 */
export const cookieOptions = (production: boolean): CookieOptions => ({ httpOnly: true, sameSite: 'lax', secure: production, path: '/' });

/**
 * One cookie's raw value from the request header (no cookie-parser needed for the few cookies
 * read outside express-session), or undefined when it is missing or not of `format`: our
 * values are plain base64url, so anything that would need decoding is not ours.
 */
export function readCookie(req: Request, name: string, format: RegExp): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return format.test(value) ? value : undefined;
  }
  return undefined;
}
