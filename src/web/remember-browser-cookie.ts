import type { CookieOptions, Request, Response } from 'express';

/**
 * The "remember this browser" cookie. It carries only a random token (the row it points to is
 * bound to user and stamp). HttpOnly so scripts cannot read it; SameSite=Lax; in production
 * Secure with the `__Host-` prefix, so no subdomain or plain-HTTP page can set or overwrite it.
 */
export function rememberBrowserCookieName(production: boolean): string {
  return production ? '__Host-gatehouse.rb' : 'gatehouse.rb';
}

function cookieOptions(production: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: production, path: '/' };
}

/** Reads the cookie from the header itself (no cookie-parser needed for one value). */
export function readRememberBrowserCookie(req: Request, production: boolean): string | undefined {
  const name = rememberBrowserCookieName(production);
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    // The token is base64url: anything that needs decoding is not ours.
    return /^[A-Za-z0-9_-]{1,100}$/.test(value) ? value : undefined;
  }
  return undefined;
}

export function setRememberBrowserCookie(res: Response, token: string, production: boolean, maxAgeMs: number): void {
  res.cookie(rememberBrowserCookieName(production), token, { ...cookieOptions(production), maxAge: maxAgeMs });
}

export function clearRememberBrowserCookie(res: Response, production: boolean): void {
  res.clearCookie(rememberBrowserCookieName(production), cookieOptions(production));
}
