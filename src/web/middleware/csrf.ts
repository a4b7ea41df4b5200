import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { csrfSync } from 'csrf-sync';
import { hmac, safeEqual } from '../../identity/secret-keys.js';
import { HttpError } from '../http-error.js';
import { hasSessionData } from '../session-data.js';
import { clearVisitorCsrfCookie, readVisitorCsrfCookie, setVisitorCsrfCookie } from '../visitor-csrf-cookie.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CsrfOptions {
  appOrigin: string;
  /** HMAC key for visitors' tokens (derived from the app secret for this job alone). */
  key: Buffer;
  production: boolean;
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** This request's CSRF token for a form; made on the first call (only pages with a form call it). */
    csrfToken?: () => string;
  }
}

/** Per request: the visitor cookie value in force, once read or made. */
interface VisitorState {
  value?: string;
  /** The cookie was dropped in this request (a sign-in or sign-off): a form needs a new one. */
  dropped: boolean;
  drop(): void;
}
const visitors = new WeakMap<Request, VisitorState>();

/**
 * A new privilege level (sign-in, the pending two-factor step, sign-off): the visitor's CSRF
 * cookie goes, so a token a visitor's form carried before it is worthless afterwards too.
 * Called by `regenerateSession`, the one place every such change passes.
 */
export function dropVisitorCsrfToken(req: Request): void {
  visitors.get(req)?.drop();
}

/**
 * CSRF protection in two forms (docs/sessions.md):
 * - with a session: a synchroniser token kept in the session (csrf-sync makes and stores it);
 * - for a visitor with no session: a signed double-submit token, HMAC(key, v) where v is a
 *   random value in the visitor's own cookie. Nothing is stored on the server, so a crawler
 *   fetching the sign-in and register pages costs no database write.
 * A token of one form is never accepted for the other, and either is made only when a page
 * renders a form (`res.locals.csrfToken()`). The check is ours, in constant time (csrf-sync
 * compares with `===`). Tokens are read from the form body or the `x-csrf-token` header, never
 * from the query string (which leaks into logs and Referer headers).
 */
export function createCsrfProtection(options: CsrfOptions) {
  const { generateToken, getTokenFromState } = csrfSync({ size: 32 });
  const { appOrigin, key, production } = options;

  const visitorToken = (value: string) => hmac(key, 'csrf-visitor', value).toString('base64url');

  /** The token this request must carry, or undefined when none can be right. */
  function expectedToken(req: Request): string | undefined {
    if (hasSessionData(req)) return getTokenFromState(req) ?? undefined;
    const value = readVisitorCsrfCookie(req, production);
    return value ? visitorToken(value) : undefined;
  }

  function protect(req: Request, _res: Response, next: NextFunction): void {
    if (SAFE_METHODS.has(req.method)) return next();
    const expected = expectedToken(req);
    const received = tokenFromRequest(req);
    const valid = typeof expected === 'string' && typeof received === 'string' && safeEqual(expected, received);
    if (!valid || isCrossSite(req, appOrigin)) return next(new HttpError(403, 'csrf'));
    next();
  }

  /** The visitor's cookie value, made (and sent) on a visitor's first form. */
  function visitorValue(req: Request, res: Response, state: VisitorState): string {
    if (state.value) return state.value;
    const fromCookie = state.dropped ? undefined : readVisitorCsrfCookie(req, production);
    state.value = fromCookie ?? crypto.randomBytes(32).toString('base64url');
    if (!fromCookie) setVisitorCsrfCookie(res, state.value, production);
    return state.value;
  }

  /**
   * On every request: offers forms a lazy `res.locals.csrfToken()`, then refuses an unsafe
   * method without the right token. Asked for nothing, it costs nothing: no cookie, no write.
   */
  function middleware(req: Request, res: Response, next: NextFunction): void {
    const state: VisitorState = {
      dropped: false,
      drop() {
        if (!state.dropped && readVisitorCsrfCookie(req, production)) clearVisitorCsrfCookie(res, production);
        state.dropped = true;
        state.value = undefined;
      },
    };
    visitors.set(req, state);
    // Decided when the form renders, not now: a sign-in or sign-off in this request changes it.
    res.locals.csrfToken = () => (hasSessionData(req) ? generateToken(req) : visitorToken(visitorValue(req, res, state)));
    protect(req, res, next);
  }

  return { middleware };
}

function tokenFromRequest(req: Request): string | undefined {
  const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (typeof fromBody === 'string') return fromBody;
  const fromHeader = req.get('x-csrf-token');
  return typeof fromHeader === 'string' ? fromHeader : undefined;
}

/** Defence in depth: a browser that says the request is cross-site is refused outright. */
function isCrossSite(req: Request, appOrigin: string): boolean {
  const fetchSite = req.get('sec-fetch-site');
  if (fetchSite === 'cross-site') return true;
  const origin = req.get('origin');
  // Under `Referrer-Policy: no-referrer` Chrome sends `Origin: null` even on same-origin form
  // posts; its Sec-Fetch-Site header then says where the post really came from.
  if (!origin || origin === 'null') return origin === 'null' && fetchSite !== 'same-origin';
  const host = req.get('host');
  return origin !== appOrigin && !(host && (origin === `http://${host}` || origin === `https://${host}`));
}
