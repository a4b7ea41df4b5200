import type { Queryable } from '../db/queryable.js';
import { emails } from '../messages.js';
import type { Outbox } from '../messaging/outbox.js';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import type { Clock } from '../clock.js';
import { safeEqual } from './secret-keys.js';
import type { SecurityCodeSender, SendCodeResult } from './security-code-sender.js';
import type { TokenStore } from './token-store.js';
import { destinationFor, getValidTwoFactorProviders } from './two-factor-providers.js';
import type { User, UserStore } from '../db/stores/user-store.js';

export interface TwoFactorSignInManagerDeps {
  knex: Queryable;
  store: UserStore;
  tokens: TokenStore;
  codes: SecurityCodeSender;
  audit: AuditLog;
  outbox: Outbox;
  clock: Clock;
  maxFailedAccessAttempts: number;
  /** How long the 1st, 2nd, ... lockout in a row lasts; the last one repeats (LOCKOUT_MINUTES). */
  lockoutDurationsMs: readonly number[];
}

/** The lockout of a series at which the owner is mailed (docs/two-factor.md). */
const NOTICE_AT_LOCKOUT = 2;

/** Who passed the first factor: the user and the stamp they had then (from the pending state). */
export interface PendingSignIn {
  userId: string;
  securityStamp: string;
}

export type SendTwoFactorCodeResult = SendCodeResult | { status: 'InvalidProvider' } | { status: 'LockedOut' } | { status: 'Expired' };

export type TwoFactorSignInResult =
  { status: 'Succeeded'; user: User } | { status: 'Failed' } | { status: 'LockedOut' } | { status: 'Expired' };

/**
 * The second half of the sign-in conversation (ASP.NET Identity's SignInManager two-factor
 * methods): sending a code to one of the user's providers, checking it, and locking the
 * account after too many wrong codes. The code lockout applies to every account (the sample
 * exempted its admin), and it lives in the database, so it holds across sessions and instances.
 */
export class TwoFactorSignInManager {
  constructor(private readonly deps: TwoFactorSignInManagerDeps) {}

  /** The user behind a pending sign-in, if it is still valid: same stamp, 2FA still on. */
  async getTwoFactorAuthenticationUser(pending: PendingSignIn): Promise<User | undefined> {
    const user = await this.deps.store.findById(this.deps.knex, pending.userId);
    // A password change or 2FA change since the password step voids the pending sign-in.
    if (!user || !user.twoFactorEnabled || !safeEqual(user.securityStamp, pending.securityStamp)) return undefined;
    return user;
  }

  getValidTwoFactorProviders(user: User) {
    return getValidTwoFactorProviders(user);
  }

  isLockedOut(user: User): boolean {
    return user.lockoutEnd !== null && user.lockoutEnd > this.deps.clock();
  }

  /** SendCode: a code to one of the user's own providers; anything else sends nothing. */
  async sendTwoFactorCode(pending: PendingSignIn, provider: string, context?: AuditContext): Promise<SendTwoFactorCodeResult> {
    const user = await this.getTwoFactorAuthenticationUser(pending);
    if (!user) return { status: 'Expired' };
    if (this.isLockedOut(user)) return { status: 'LockedOut' };
    const destination = destinationFor(user, provider);
    if (!destination) return { status: 'InvalidProvider' };
    return this.deps.codes.send({ user, purpose: 'TwoFactor', destination, provider, context });
  }

  /**
   * VerifyCode. The attempt is counted first, in one atomic UPDATE, and the code is checked only
   * if that count is within the limit: of any number of parallel guesses, at most the limit are
   * ever checked, and the one that reaches it locks the account.
   */
  async twoFactorSignIn(pending: PendingSignIn, provider: string, code: string, context?: AuditContext): Promise<TwoFactorSignInResult> {
    const { knex, store, audit, clock, maxFailedAccessAttempts } = this.deps;
    const user = await this.getTwoFactorAuthenticationUser(pending);
    const destination = user && destinationFor(user, provider);
    if (!user || !destination) return { status: 'Expired' };
    const attempt = await store.incrementAccessFailedCountUnlessLockedOut(knex, user.id, clock());
    if (!attempt) return { status: 'Expired' };
    const locked = attempt.lockoutEnd !== null && attempt.lockoutEnd > clock();
    if (locked || attempt.count > maxFailedAccessAttempts) {
      if (!locked) await this.lockOut(user, context);
      await audit.record(knex, { userId: user.id, type: 'TwoFactorLockedOut', detail: { provider }, context });
      return { status: 'LockedOut' };
    }
    const ok = await this.deps.tokens.consume(knex, {
      userId: user.id,
      purpose: 'TwoFactor',
      target: destination.target,
      securityStamp: user.securityStamp,
      secret: code,
    });
    if (ok) {
      // Only a complete sign-in (both factors) clears the count; the password alone never does.
      await store.resetAccessFailedCount(knex, user.id);
      await audit.record(knex, { userId: user.id, type: 'SignedIn', detail: { method: 'two-factor', provider }, context });
      return { status: 'Succeeded', user };
    }
    await audit.record(knex, { userId: user.id, type: 'TwoFactorFailed', detail: { provider, attempt: attempt.count }, context });
    if (attempt.count >= maxFailedAccessAttempts) {
      await this.lockOut(user, context);
      return { status: 'LockedOut' };
    }
    return { status: 'Failed' };
  }

  /**
   * accessFailed's last step: lock for the next step of the series and void the codes already
   * sent. At the second lockout in a row someone has the password and keeps guessing codes:
   * the owner is told once per series (more mails would tell them nothing new, and would let
   * the attacker send mail in the owner's name at will).
   */
  private async lockOut(user: User, context?: AuditContext): Promise<void> {
    const { knex, store, tokens, audit, outbox, clock, lockoutDurationsMs } = this.deps;
    const now = clock();
    const noticed = await knex.transaction(async (trx) => {
      const started = await store.lockOutUnlessLockedOut(trx, user.id, now, lockoutDurationsMs);
      await tokens.revoke(trx, user.id, 'TwoFactor');
      if (!started) return false;
      const lockoutMs = started.lockoutEnd.getTime() - now.getTime();
      await audit.record(trx, {
        userId: user.id,
        type: 'LockedOut',
        detail: { reason: 'TwoFactor', lockoutMs, series: started.series },
        context,
      });
      if (started.series !== NOTICE_AT_LOCKOUT) return false;
      await outbox.enqueue(trx, {
        channel: 'email',
        recipient: user.email,
        ...emails.twoFactorLockedOut(),
        userId: user.id,
        purpose: 'LockoutNotice',
      });
      return true;
    });
    if (noticed) outbox.kick();
  }

  /**
   * Enable/DisableTwoFactorAuthentication: rotates the stamp (other sessions and remembered
   * browsers end) and tells the owner by email (ASVS 6.3.7).
   */
  async setTwoFactorEnabled(userId: string, enabled: boolean, context?: AuditContext): Promise<User | undefined> {
    const { knex, store, audit, outbox } = this.deps;
    const updated = await knex.transaction(async (trx) => {
      const user = await store.findById(trx, userId);
      // Already so: nothing changes, so no new stamp (which would sign the owner out everywhere
      // else), no audit and no notice email.
      if (user && user.twoFactorEnabled === enabled) return user;
      // Turning it on with nowhere to send a code would lock the user out of their own account.
      if (!user || (enabled && getValidTwoFactorProviders(user).length === 0)) return undefined;
      const changed = await store.setTwoFactorEnabled(trx, userId, enabled);
      await outbox.enqueue(trx, {
        channel: 'email',
        recipient: user.email,
        ...emails.twoFactorChanged(enabled),
        userId,
        purpose: 'TwoFactorChangedNotice',
      });
      await audit.record(trx, { userId, type: enabled ? 'TwoFactorEnabled' : 'TwoFactorDisabled', context });
      return changed;
    });
    if (updated) outbox.kick();
    return updated;
  }
}
