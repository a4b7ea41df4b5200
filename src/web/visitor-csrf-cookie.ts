import type { Request, Response } from 'express';
import { cookieOptions, readCookie } from './cookies.js';

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

/** 32 random bytes in base64url, as made by `issueVisitorCsrfCookie`; anything else is ignored. */
const VALUE_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function readVisitorCsrfCookie(req: Request, production: boolean): string | undefined {
  return readCookie(req, visitorCsrfCookieName(production), VALUE_FORMAT);
}

export function setVisitorCsrfCookie(res: Response, value: string, production: boolean): void {
  res.cookie(visitorCsrfCookieName(production), value, cookieOptions(production));
}

export function clearVisitorCsrfCookie(res: Response, production: boolean): void {
  res.clearCookie(visitorCsrfCookieName(production), cookieOptions(production));
}
