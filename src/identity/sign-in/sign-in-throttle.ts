import type { Queryable } from '../../db/queryable.js';
import { limitKeysFor } from '../account-limit-keys.js';
import type { AuditContext, AuditLog } from '../../db/stores/audit-log.js';
import { emailLimitKey } from '../email-address.js';
import type { RateLimiter, RateLimitRule } from '../rate-limiter.js';
import { hmac, safeEqual } from '../secret-keys.js';
import { randomUrlToken } from '../token-store.js';
import type { User } from '../../db/stores/user-store.js';

/** `nonce.signature`, both base64url. */
const DEVICE_TOKEN_FORMAT = /^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,128}$/;

export interface SignInThrottleDeps {
  knex: Queryable;
  rateLimiter: RateLimiter;
  audit: AuditLog;
  /** `keys.tokenHash`: limiter keys and device tokens are keyed hashes, so no address is stored. */
  key: Buffer;
  perIp: RateLimitRule;
  perAccount: RateLimitRule;
  perKnownDevice: RateLimitRule;
}

export interface SignInAttempt {
  email: string;
  /** The account the address names, looked up once by the caller. */
  user: User | undefined;
  ip: string | undefined;
  /** The browser's sign-in device token (a cookie), if it has one. */
  deviceToken: string | undefined;
  context?: AuditContext;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAt: Date };

/**
 * Throttles password guessing without handing attackers a way to lock people out (OWASP's
 * "device cookies"). A browser that has been signed in to an account holds a signed token
 * naming it; its attempts on that account are counted on their own. Attempts from every other
 * browser share one counter per account, so a flood of guesses slows the guessers down while
 * the owner, on a browser they used before, still gets in. A counter per IP limits spraying
 * many accounts from one place. Nothing here locks the account itself.
 */
export class SignInThrottle {
  private readonly deviceKey: Buffer;

  constructor(private readonly deps: SignInThrottleDeps) {
    this.deviceKey = hmac(deps.key, 'sign-in-device-cookie');
  }

  // Keyed on the address's normal form: the owner may type any spelling of it.
  private mac(nonce: string, email: string): string {
    return hmac(this.deviceKey, 'device', nonce, emailLimitKey(email)).toString('base64url');
  }

  /** The device id if the token was issued to this browser for this account. */
  private knownDevice(token: string | undefined, email: string): string | undefined {
    const [nonce, signature] = (token && DEVICE_TOKEN_FORMAT.test(token) ? token : '').split('.');
    if (!nonce || !signature) return undefined;
    return safeEqual(this.mac(nonce, email), signature) ? nonce : undefined;
  }

  /** Counts the attempt on every key that applies; refused when any one is over its limit. */
  async hit(attempt: SignInAttempt): Promise<ThrottleVerdict> {
    const { rateLimiter, audit, knex, key, perIp, perAccount, perKnownDevice } = this.deps;
    const device = this.knownDevice(attempt.deviceToken, attempt.email);
    const accountRules: Array<[string, RateLimitRule]> = device
      ? [[`signin:device:${device}`, perKnownDevice]]
      : limitKeysFor(key, 'signin', attempt.email, attempt.user).map((limitKey) => [limitKey, perAccount]);
    const verdict = await rateLimiter.hitAll([[`signin:ip:${attempt.ip}`, perIp], ...accountRules]);
    if (verdict.allowed) return { allowed: true };
    await audit.record(knex, { type: 'SignInThrottled', detail: { knownDevice: Boolean(device) }, context: attempt.context });
    return { allowed: false, retryAt: verdict.resetAt };
  }

  /**
   * After a sign-in: a device token for this browser and account, unless the one it holds is
   * already theirs. Once per sign-in, not on every page: the check costs two hashes and an HMAC.
   */
  deviceTokenFor(email: string, current: string | undefined): string | undefined {
    if (this.knownDevice(current, email)) return undefined;
    const nonce = randomUrlToken().slice(0, 22);
    return `${nonce}.${this.mac(nonce, email)}`;
  }

  /** After a successful password reset: the owner proved control of the address. */
  async clearAccount(email: string, user: User | undefined): Promise<void> {
    for (const limitKey of limitKeysFor(this.deps.key, 'signin', email, user)) await this.deps.rateLimiter.reset(limitKey);
  }
}
