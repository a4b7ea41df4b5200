import type { NextFunction, Request, Response } from 'express';
import type { SignInManager } from '../identity/sign-in/sign-in-manager.js';
import { cookieOptions, readCookie } from './cookies.js';

const DEVICE_COOKIE_MS = 365 * 24 * 3_600_000;

/** `nonce.signature`, both base64url (identity/sign-in/sign-in-throttle.ts signs and checks it). */
const DEVICE_COOKIE_FORMAT = /^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,128}$/;

/**
 * The sign-in device cookie: it tells the password throttle that this browser has signed in to
 * the account before, so a flood of guesses from elsewhere does not keep the owner out.
 */
export function createSignInDeviceCookie(signIn: Pick<SignInManager, 'deviceTokenFor'>, production: boolean) {
  const cookieName = production ? '__Host-gatehouse-device' : 'gatehouse.device';

  const read = (req: Request) => readCookie(req, cookieName, DEVICE_COOKIE_FORMAT);

  /** On the first page after a sign-in: marks this browser as one that knows the account. */
  function recognizeDevice(req: Request, res: Response, next: NextFunction) {
    if (!req.user || !req.session.deviceCheckDue) return next();
    delete req.session.deviceCheckDue;
    const token = signIn.deviceTokenFor(req.user, read(req));
    if (token) res.cookie(cookieName, token, { ...cookieOptions(production), maxAge: DEVICE_COOKIE_MS });
    next();
  }

  return { read, recognizeDevice };
}
