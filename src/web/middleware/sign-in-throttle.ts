import type { NextFunction, Request, Response } from 'express';
import type { Services } from '../../composition.js';
import type { RateLimitRule } from '../../identity/rate-limiter.js';
import { hmac, safeEqual } from '../../identity/secret-keys.js';
import { randomUrlToken } from '../../identity/token-store.js';
import { pageMessages } from '../../messages.js';
import { auditContext } from '../audit-context.js';
import { checkbox, field, safeLocalUrl } from '../forms.js';
import { emailLimitKey, normaliseEmail } from '../../identity/email-address.js';
import { accountLimitKeys } from '../account-limit-keys.js';
import { cookieOptions, readCookie } from '../cookies.js';
import { RATE_LIMITS, retryAfterSeconds } from '../rate-limits.js';

const DEVICE_COOKIE_MS = 365 * 24 * 3_600_000;

/** `nonce.signature`, both base64url. */
const DEVICE_COOKIE_FORMAT = /^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,128}$/;

/**
 * Throttles password guessing without handing attackers a way to lock people out (OWASP's
 * "device cookies"). A browser that has been signed in to an account gets a signed cookie
 * naming it; its attempts on that account are counted on their own. Attempts from every other
 * browser share one counter per account, so a flood of guesses slows the guessers down while
 * the owner, on a browser they used before, still gets in. A counter per IP limits spraying
 * many accounts from one place. Nothing here locks the account itself.
 */
export function createSignInThrottle(services: Services) {
  const { rateLimiter, keys, config, audit, db } = services;
  const key = hmac(keys.tokenHash, 'sign-in-device-cookie');
  const cookieName = config.env === 'production' ? '__Host-gatehouse-device' : 'gatehouse.device';
  const withLimit = (rule: RateLimitRule, limit: number): RateLimitRule => ({ ...rule, limit });
  const perIp = withLimit(RATE_LIMITS.signInPerIp, config.signInAttempts.perIp);
  const perAccount = withLimit(RATE_LIMITS.signInPerAccount, config.signInAttempts.perAccount);
  const perKnownDevice = withLimit(RATE_LIMITS.signInPerKnownDevice, config.signInAttempts.perAccount);
  // Keyed on the address's normal form: the owner may type any spelling of it.
  const mac = (nonce: string, email: string) => hmac(key, 'device', nonce, emailLimitKey(email)).toString('base64url');

  /** The device id if this browser's cookie was issued for this account. */
  function knownDevice(req: Request, email: string): string | undefined {
    const [nonce, signature] = (readCookie(req, cookieName, DEVICE_COOKIE_FORMAT) ?? '').split('.');
    if (!nonce || !signature) return undefined;
    return safeEqual(mac(nonce, email), signature) ? nonce : undefined;
  }

  /** Before POST /account/login: count the attempt, refuse it (429) when over a limit. */
  async function throttle(req: Request, res: Response, next: NextFunction) {
    const typed = field(req.body, 'email').slice(0, 254);
    const email = normaliseEmail(typed);
    // Not an address: the form answers with a field error and checks no password.
    if (!email) return next();
    const device = knownDevice(req, email);
    const accountRules: Array<[string, RateLimitRule]> = device
      ? [[`signin:device:${device}`, perKnownDevice]]
      : (await accountLimitKeys(services, 'signin', email)).map((limitKey) => [limitKey, perAccount]);
    const verdict = await rateLimiter.hitAll([[`signin:ip:${req.ip}`, perIp], ...accountRules]);
    if (verdict.allowed) return next();
    await audit.record(db.knex, { type: 'SignInThrottled', detail: { knownDevice: Boolean(device) }, context: auditContext(req) });
    res.set('Retry-After', retryAfterSeconds(verdict.resetAt, services.clock()));
    res.status(429).render('account/login', {
      title: 'Log in',
      email: typed,
      returnUrl: safeLocalUrl(field(req.body, 'returnUrl')),
      rememberMe: checkbox(req.body, 'rememberMe'),
      errors: { form: pageMessages.tooManySignInAttempts },
    });
  }

  /**
   * On the first page after a sign-in: marks this browser as one that knows the account. Once
   * per sign-in, not on every page: the check costs two hashes and an HMAC.
   */
  function recognizeDevice(req: Request, res: Response, next: NextFunction) {
    if (!req.user || !req.session.deviceCheckDue) return next();
    delete req.session.deviceCheckDue;
    if (!knownDevice(req, req.user.email)) {
      const nonce = randomUrlToken().slice(0, 22);
      res.cookie(cookieName, `${nonce}.${mac(nonce, req.user.email)}`, {
        ...cookieOptions(config.env === 'production'),
        maxAge: DEVICE_COOKIE_MS,
      });
    }
    next();
  }

  /** After a successful password reset: the owner proved control of the address. */
  async function clearAccount(email: string) {
    for (const limitKey of await accountLimitKeys(services, 'signin', email)) await rateLimiter.reset(limitKey);
  }

  return { throttle, recognizeDevice, clearAccount };
}
