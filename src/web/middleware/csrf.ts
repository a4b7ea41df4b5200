import type { NextFunction, Request, Response } from 'express';
import { csrfSync } from 'csrf-sync';
import { safeEqual } from '../../identity/secret-keys.js';
import { HttpError } from '../http-error.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Synchroniser-token CSRF protection. csrf-sync makes and stores the token in the session; the
 * check is ours, because csrf-sync compares with `===` and every secret comparison here is
 * constant-time. Tokens are read from the form body or the `x-csrf-token` header, never from
 * the query string (which leaks into logs and Referer headers).
 */
export function createCsrfProtection(appOrigin: string) {
  const { generateToken, getTokenFromState } = csrfSync({ size: 32 });

  function tokenFromRequest(req: Request): string | undefined {
    const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (typeof fromBody === 'string') return fromBody;
    const fromHeader = req.get('x-csrf-token');
    return typeof fromHeader === 'string' ? fromHeader : undefined;
  }

  /** Defence in depth: a browser that says the request is cross-site is refused outright. */
  function isCrossSite(req: Request): boolean {
    const fetchSite = req.get('sec-fetch-site');
    if (fetchSite === 'cross-site') return true;
    const origin = req.get('origin');
    // Under `Referrer-Policy: no-referrer` Chrome sends `Origin: null` even on same-origin form
    // posts; its Sec-Fetch-Site header then says where the post really came from.
    if (!origin || origin === 'null') return origin === 'null' && fetchSite !== 'same-origin';
    const host = req.get('host');
    return origin !== appOrigin && !(host && (origin === `http://${host}` || origin === `https://${host}`));
  }

  function protect(req: Request, _res: Response, next: NextFunction): void {
    if (SAFE_METHODS.has(req.method)) return next();
    const expected = getTokenFromState(req);
    const received = tokenFromRequest(req);
    const valid =
      typeof expected === 'string' && typeof received === 'string' && safeEqual(expected, received);
    if (!valid || isCrossSite(req)) return next(new HttpError(403, 'csrf'));
    next();
  }

  /**
   * On every request: puts the session's token in `res.locals.csrfToken` for forms (made once
   * per session), then refuses an unsafe method without it.
   */
  function middleware(req: Request, res: Response, next: NextFunction): void {
    res.locals.csrfToken = generateToken(req);
    protect(req, res, next);
  }

  /** A new token, e.g. after sign-in: a token seen before sign-in is useless after it. */
  const rotate = (req: Request) => generateToken(req, true);

  return { middleware, rotate };
}
