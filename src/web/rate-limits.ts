import type { RateLimitRule } from '../identity/rate-limiter.js';

const minutes = (n: number) => n * 60_000;

/**
 * Every limit on guessing and mailing, in one place (docs/rate-limits.md explains them).
 * Counters live in the database (RateLimiter), so all instances share them, and every attempt
 * is counted before it is checked, so parallel requests cannot slip past a limit.
 */
export const RATE_LIMITS = {
  // The three sign-in limits are the defaults of SIGNIN_ATTEMPTS_PER_ACCOUNT and _PER_IP.
  /** Sign-in attempts from browsers that never signed in to this account, all together. */
  signInPerAccount: { limit: 10, windowMs: minutes(15) },
  /** Sign-in attempts from one browser that has signed in to this account before. */
  signInPerKnownDevice: { limit: 10, windowMs: minutes(15) },
  /** Sign-in attempts from one IP address, whatever the account (password spraying). */
  signInPerIp: { limit: 50, windowMs: minutes(15) },
  /** Reset emails to one address (whether or not it has an account). */
  forgotPasswordPerAddress: { limit: 3, windowMs: minutes(60) },
  /**
   * "You already have an account" notices to one address (someone registering it again, or
   * typing it for a new Google sign-in): past this, the page is the same but no mail goes out.
   */
  accountNoticePerAddress: { limit: 3, windowMs: minutes(60) },
  /** Forgot-password requests from one IP address. */
  forgotPasswordPerIp: { limit: 20, windowMs: minutes(60) },
  /** Reset-password form posts from one IP address. */
  resetPasswordPerIp: { limit: 20, windowMs: minutes(15) },
  /** Registrations from one IP address (defaults of REGISTER_ATTEMPTS_PER_IP and _PER_ADDRESS). */
  registerPerIp: { limit: 10, windowMs: minutes(60) },
  /** Registrations of one address (any spelling), whether or not it has an account. */
  registerPerAddress: { limit: 5, windowMs: minutes(60) },
  /** Change-password attempts (the old password is a guess too) by one signed-in user. */
  changePasswordPerUser: { limit: 10, windowMs: minutes(15) },
} satisfies Record<string, RateLimitRule>;

/** The Retry-After header for a refusal: whole seconds until the window ends, at least 1. */
export const retryAfterSeconds = (resetAt: Date, now: Date) => String(Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 1000)));
