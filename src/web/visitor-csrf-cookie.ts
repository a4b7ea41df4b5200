import type { CookieOptions, Request, Response } from 'express';

/**
 * The visitor's CSRF cookie: a random value that a visitor's form tokens are an HMAC of
 * (middleware/csrf.ts). It exists only in the browser, so a visitor's form costs no database
 * write. HttpOnly and SameSite=Lax; in production Secure with the `__Host-` prefix, so no
 * subdomain or plain-HTTP page can plant one (the weak spot of double-submit cookies). A
 * session cookie: it ends with the browser.
 */
export function visitorCsrfCookieName(production: boolean): string {
  return production ? '__Host-gatehouse.csrf' : 'gatehouse.csrf';
}

const cookieOptions = (production: boolean): CookieOptions => ({ httpOnly: true, sameSite: 'lax', secure: production, path: '/' });

/** 32 random bytes in base64url, as made by `issueVisitorCsrfCookie`; anything else is ignored. */
const VALUE_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** Reads the cookie from the header itself (no cookie-parser needed for one value). */
export function readVisitorCsrfCookie(req: Request, production: boolean): string | undefined {
  const name = visitorCsrfCookieName(production);
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return VALUE_FORMAT.test(value) ? value : undefined;
  }
  return undefined;
}

export function setVisitorCsrfCookie(res: Response, value: string, production: boolean): void {
  res.cookie(visitorCsrfCookieName(production), value, cookieOptions(production));
}

export function clearVisitorCsrfCookie(res: Response, production: boolean): void {
  res.clearCookie(visitorCsrfCookieName(production), cookieOptions(production));
}
