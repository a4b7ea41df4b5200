import type { Queryable } from '../../db/queryable.js';
import { emails } from '../../messages.js';
import type { Outbox } from '../../messaging/outbox.js';
import type { AuditContext, AuditLog } from '../../db/stores/audit-log.js';
import type { Clock } from '../../clock.js';
import type { TokenStore } from '../token-store.js';
import type { User, UserStore } from '../../db/stores/user-store.js';

/**
 * The one lockout rule: an account is locked while its lockout end lies ahead, whatever the
 * account (the sample exempted its admin through `lockoutEnabled`; here no account is exempt,
 * and only wrong second-factor codes ever lock one: docs/two-factor.md).
 */
export function isLockedOut(user: Pick<User, 'lockoutEnd'>, now: Date): boolean {
  return user.lockoutEnd !== null && user.lockoutEnd > now;
}

/** The lockout of a series at which the owner is mailed (docs/two-factor.md). */
const NOTICE_AT_LOCKOUT = 2;

export interface CodeLockoutDeps {
  knex: Queryable;
  store: UserStore;
  tokens: TokenStore;
  audit: AuditLog;
  outbox: Outbox;
  clock: Clock;
  maxFailedAccessAttempts: number;
  /** How long the 1st, 2nd, ... lockout in a row lasts; the last one repeats (LOCKOUT_MINUTES). */
  lockoutDurationsMs: readonly number[];
}

/** `until`: when the lockout ends, when known (a parallel request may have started it). */
export type LockedOut = { status: 'LockedOut'; until?: Date };

export type AttemptVerdict = { status: 'Allowed'; attempt: number } | LockedOut | { status: 'Gone' };

/**
 * ASP.NET Identity's AccessFailed for second-factor codes. The count lives in the database, so
 * it holds across sessions and instances, and an attempt is counted before its code is checked:
 * of any number of parallel guesses, at most the limit are ever checked.
 */
export class CodeLockout {
  constructor(private readonly deps: CodeLockoutDeps) {}

  /** Counts one attempt in one atomic UPDATE; the attempt past the limit locks the account. */
  async countAttempt(user: User, factor: string, context?: AuditContext): Promise<AttemptVerdict> {
    const { knex, store, audit, clock, maxFailedAccessAttempts } = this.deps;
    const attempt = await store.incrementAccessFailedCountUnlessLockedOut(knex, user.id, clock());
    if (!attempt) return { status: 'Gone' };
    const locked = attempt.lockoutEnd !== null && attempt.lockoutEnd > clock();
    if (!locked && attempt.count <= maxFailedAccessAttempts) return { status: 'Allowed', attempt: attempt.count };
    const until = locked ? attempt.lockoutEnd! : await this.lockOut(user, context);
    await audit.record(knex, { userId: user.id, type: 'TwoFactorLockedOut', detail: { provider: factor }, context });
    return { status: 'LockedOut', until };
  }

  /** How many more wrong codes the account takes before it locks. */
  attemptsLeft(attempt: number): number {
    return Math.max(0, this.deps.maxFailedAccessAttempts - attempt);
  }

  /** After a wrong code: the attempt that reaches the limit locks the account at once. */
  async failed(user: User, factor: string, attempt: number, context?: AuditContext): Promise<{ status: 'Failed' } | LockedOut> {
    await this.deps.audit.record(this.deps.knex, {
      userId: user.id,
      type: 'TwoFactorFailed',
      detail: { provider: factor, attempt },
      context,
    });
    if (attempt < this.deps.maxFailedAccessAttempts) return { status: 'Failed' };
    return { status: 'LockedOut', until: await this.lockOut(user, context) };
  }

  /** Only a complete sign-in (both factors) clears the count; the password alone never does. */
  async succeeded(user: User): Promise<void> {
    await this.deps.store.resetAccessFailedCount(this.deps.knex, user.id);
  }

  /**
   * Locks for the next step of the series and voids the codes already sent. At the second
   * lockout in a row someone has the password and keeps guessing codes: the owner is told once
   * per series (more mails would tell them nothing new, and would let the attacker send mail in
   * the owner's name at will).
   */
  private async lockOut(user: User, context?: AuditContext): Promise<Date | undefined> {
    const { knex, store, tokens, audit, outbox, clock, lockoutDurationsMs } = this.deps;
    const now = clock();
    let until: Date | undefined;
    const noticed = await knex.transaction(async (trx) => {
      const started = await store.lockOutUnlessLockedOut(trx, user.id, now, lockoutDurationsMs);
      await tokens.revoke(trx, user.id, 'TwoFactor');
      if (!started) return false;
      until = started.lockoutEnd;
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
    return until;
  }
}
