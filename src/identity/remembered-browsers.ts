import crypto from 'node:crypto';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/queryable.js';
import { RememberedBrowserStore } from '../db/stores/remembered-browser-store.js';
import { hmac, safeEqual } from './secret-keys.js';
import type { User } from '../db/stores/user-store.js';

export interface RememberedBrowsersDeps {
  knex: Queryable;
  audit: AuditLog;
  clock: Clock;
  /** `keys.rememberBrowser`: its own key, so no other token or cookie can stand in for one. */
  key: Buffer;
  ttlMs: number;
}

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * "Remember this browser" (the sample's two-factor remember-browser cookie), kept server-side:
 * the cookie holds only a random token, the table its keyed hash, bound to the user id and to
 * the security stamp at the time. The sample's cookie was bound to the user id alone and
 * survived a password change; ours stops working when the user forgets the browser, changes
 * password, turns 2FA off or on, or anything else rotates the stamp, and it cannot be moved to
 * another account. Users can see and revoke it.
 */
export class RememberedBrowsers {
  private readonly store = new RememberedBrowserStore();

  constructor(private readonly deps: RememberedBrowsersDeps) {}

  // The user id is part of the hash: a token copied into another user's sign-in finds no row.
  private hash(userId: string, token: string): string {
    return hmac(this.deps.key, 'remember-browser', userId, token).toString('base64url');
  }

  /** Remembers this browser for the user; returns the token for the cookie. */
  async rememberTwoFactorClient(user: User, previousToken: string | undefined, context?: AuditContext): Promise<string> {
    const { knex, audit, clock, ttlMs } = this.deps;
    const token = crypto.randomBytes(32).toString('base64url');
    const now = clock();
    await knex.transaction(async (trx) => {
      // One row per browser; rows left from an older stamp are dead anyway.
      if (previousToken && TOKEN_FORMAT.test(previousToken)) {
        await this.store.delete(trx, user.id, this.hash(user.id, previousToken));
      }
      await this.store.deleteOtherStamps(trx, user.id, user.securityStamp);
      await this.store.insert(trx, {
        userId: user.id,
        tokenHash: this.hash(user.id, token),
        securityStamp: user.securityStamp,
        userAgent: context?.userAgent?.slice(0, 512) ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + ttlMs),
      });
      await audit.record(trx, { userId: user.id, type: 'BrowserRemembered', context });
    });
    return token;
  }

  /** True only for this user's unexpired token issued under their current security stamp. */
  async isTwoFactorClientRemembered(user: User, token: string | undefined): Promise<boolean> {
    if (!token || !TOKEN_FORMAT.test(token)) return false;
    const expected = this.hash(user.id, token);
    // Looked up by a keyed hash of a 256-bit secret: the lookup's timing tells nothing usable.
    const row = await this.store.findUnexpired(this.deps.knex, user.id, expected, this.deps.clock());
    if (!row) return false;
    return safeEqual(expected, row.tokenHash) && safeEqual(user.securityStamp, row.securityStamp);
  }

  /** Records a sign-in that skipped the code because this browser is remembered. */
  async recordRememberedSignIn(user: User, token: string, method: string, context?: AuditContext): Promise<void> {
    const { knex, audit, clock } = this.deps;
    await this.store.touch(knex, user.id, this.hash(user.id, token), clock());
    await audit.record(knex, { userId: user.id, type: 'SignedIn', detail: { method, rememberedBrowser: true }, context });
  }

  /** Deletes remembered browsers that expired or were bound to a stamp the user no longer has. */
  async pruneDead(): Promise<number> {
    const { knex, clock } = this.deps;
    return this.store.deleteDead(knex, clock());
  }

  async forgetTwoFactorClient(user: User, token: string | undefined, context?: AuditContext): Promise<void> {
    const { knex, audit } = this.deps;
    await knex.transaction(async (trx) => {
      if (!token || !TOKEN_FORMAT.test(token)) return;
      const forgotten = await this.store.delete(trx, user.id, this.hash(user.id, token));
      // Forgetting a browser that was not remembered changes nothing, and records nothing.
      if (forgotten) await audit.record(trx, { userId: user.id, type: 'BrowserForgotten', context });
    });
  }
}
