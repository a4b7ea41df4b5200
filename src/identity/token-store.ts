import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import { hmac, safeEqual } from './secret-keys.js';
import type { Queryable } from '../db/queryable.js';
import { UserTokenStore } from '../db/stores/user-token-store.js';

export type TokenPurpose = 'EmailConfirmation' | 'ResetPassword' | 'TwoFactor' | 'PhoneNumberVerification';

export interface IssueTokenInput {
  userId: string;
  purpose: TokenPurpose;
  /** The email address or phone number the token was sent to, if any. */
  target?: string | null;
  securityStamp: string;
  ttlMs: number;
  /** The secret itself; a random 256-bit URL-safe string when omitted. */
  secret?: string;
}

export interface ConsumeTokenInput {
  userId: string;
  purpose: TokenPurpose;
  target?: string | null;
  securityStamp: string;
  secret: string;
  /**
   * For short codes: how many guesses one code may take. Each guess is counted before the
   * comparison, in one UPDATE, so parallel guesses cannot exceed the limit; then the code is dead.
   */
  maxAttempts?: number;
}

export const randomUrlToken = () => crypto.randomBytes(32).toString('base64url');

/**
 * Whether a string has the shape randomUrlToken() gives (43 base64url characters). Lets a page
 * that only carries a link's code (the reset form) refuse a mangled one at once, as the
 * confirmation link does, instead of echoing it into a form that can only fail later.
 */
export const looksLikeUrlToken = (value: string) => /^[A-Za-z0-9_-]{43}$/.test(value);

/**
 * Single-use secrets (confirmation and reset links, one-time codes). Only a keyed hash is
 * stored, over user, purpose and target as well as the secret, so a token issued for one user,
 * purpose or phone number can never verify for another. Issuing a token voids the user's
 * earlier tokens for the same purpose: only the newest link or code works.
 */
export class TokenStore {
  constructor(
    private readonly hashKey: Buffer,
    private readonly clock: Clock,
    private readonly rows = new UserTokenStore(),
  ) {}

  private hash(userId: string, purpose: string, target: string | null | undefined, secret: string) {
    return hmac(this.hashKey, userId, purpose, target ?? '', secret).toString('base64url');
  }

  async issue(db: Queryable, input: IssueTokenInput): Promise<string> {
    const secret = input.secret ?? randomUrlToken();
    const now = this.clock();
    await this.rows.consumeOpen(db, input.userId, input.purpose, now);
    await this.rows.insert(db, {
      userId: input.userId,
      purpose: input.purpose,
      target: input.target ?? null,
      tokenHash: this.hash(input.userId, input.purpose, input.target, secret),
      securityStamp: input.securityStamp,
      createdAt: now,
      expiresAt: new Date(now.getTime() + input.ttlMs),
    });
    return secret;
  }

  /**
   * True exactly once for a valid, unexpired token issued under the user's current stamp.
   * The hash is compared in constant time; the consuming UPDATE is conditional, so of two
   * parallel uses of one token only one wins.
   */
  async consume(db: Queryable, input: ConsumeTokenInput): Promise<boolean> {
    const row = await this.rows.findNewestOpen(db, input.userId, input.purpose, this.clock());
    if (!row) return false;
    if (input.maxAttempts !== undefined && !(await this.rows.countAttempt(db, row.id, input.maxAttempts))) return false;
    const expected = this.hash(input.userId, input.purpose, input.target, input.secret);
    const matches = safeEqual(expected, row.tokenHash);
    const stampMatches = safeEqual(input.securityStamp, row.securityStamp);
    if (!matches || !stampMatches) return false;
    return this.rows.consume(db, row.id, this.clock());
  }

  /** When the code still waiting to be used for this purpose (and target) was sent, if one is. */
  async outstandingSince(db: Queryable, userId: string, purpose: TokenPurpose, target?: string): Promise<Date | undefined> {
    return this.rows.openIssuedAt(db, userId, purpose, target, this.clock());
  }

  /** Deletes tokens past their expiry: used or not, nothing can accept them any more. */
  async pruneExpired(db: Queryable): Promise<number> {
    return this.rows.deleteExpired(db, this.clock());
  }

  /** Voids every outstanding token of a purpose (e.g. the sign-in codes of a locked account). */
  async revoke(db: Queryable, userId: string, purpose: TokenPurpose): Promise<number> {
    return this.rows.consumeOpen(db, userId, purpose, this.clock());
  }
}
