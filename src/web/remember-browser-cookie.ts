import type { Request, Response } from 'express';
import { cookieOptions, readCookie } from './cookies.js';

/**
 * The "remember this browser" cookie. It carries only a random token (the row it points to is
 * bound to user and stamp). HttpOnly so scripts cannot read it; SameSite=Lax; in production
 * Secure with the `__Host-` prefix, so no subdomain or plain-HTTP page can set or overwrite it.
 */
export function rememberBrowserCookieName(production: boolean): string {
  return production ? '__Host-gatehouse.rb' : 'gatehouse.rb';
}

export function readRememberBrowserCookie(req: Request, production: boolean): string | undefined {
  return readCookie(req, rememberBrowserCookieName(production), /^[A-Za-z0-9_-]{1,100}$/);
}

export function setRememberBrowserCookie(res: Response, token: string, production: boolean, maxAgeMs: number): void {
  res.cookie(rememberBrowserCookieName(production), token, { ...cookieOptions(production), maxAge: maxAgeMs });
}

export function clearRememberBrowserCookie(res: Response, production: boolean): void {
  res.clearCookie(rememberBrowserCookieName(production), cookieOptions(production));
}
