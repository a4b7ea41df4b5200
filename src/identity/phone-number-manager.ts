import type { Queryable } from '../db/queryable.js';
import { emails } from '../messages.js';
import type { Outbox } from '../messaging/outbox.js';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import type { SecurityCodeSender, SendCodeResult } from './security-code-sender.js';
import type { TokenStore } from './token-store.js';
import type { User, UserStore } from '../db/stores/user-store.js';

export interface PhoneNumberManagerDeps {
  knex: Queryable;
  store: UserStore;
  tokens: TokenStore;
  codes: SecurityCodeSender;
  audit: AuditLog;
  outbox: Outbox;
}

// A six-digit code has a million values: a few guesses per code, then a new code is needed
// (and new codes are rate-limited), so guessing one is hopeless.
const MAX_ATTEMPTS_PER_CODE = 5;

/**
 * Adding, verifying and removing the phone number (the sample's AddPhoneNumber,
 * VerifyPhoneNumber and RemovePhoneNumber). A number is stored only once its code is
 * verified, in E.164, and every change rotates the security stamp.
 */
export class PhoneNumberManager {
  constructor(private readonly deps: PhoneNumberManagerDeps) {}

  /** generateChangePhoneNumberToken + SMS "Your security code is: NNNNNN". */
  sendPhoneNumberCode(user: User, phoneNumber: string, context?: AuditContext): Promise<SendCodeResult> {
    return this.deps.codes.send({
      user,
      purpose: 'PhoneNumberVerification',
      destination: { channel: 'sms', target: phoneNumber },
      provider: 'AddPhoneNumber',
      context,
    });
  }

  /** Saves the number as confirmed if the code was sent to exactly this number for this user. */
  async changePhoneNumber(userId: string, phoneNumber: string, code: string, context?: AuditContext): Promise<User | undefined> {
    const { knex, store, tokens, audit } = this.deps;
    const user = await store.findById(knex, userId);
    if (!user) return undefined;
    const ok = await tokens.consume(knex, {
      userId,
      purpose: 'PhoneNumberVerification',
      target: phoneNumber,
      securityStamp: user.securityStamp,
      secret: code,
      maxAttempts: MAX_ATTEMPTS_PER_CODE,
    });
    if (!ok) {
      await audit.record(knex, { userId, type: 'PhoneNumberVerificationFailed', context });
      return undefined;
    }
    const updated = await knex.transaction(async (trx) => {
      const changed = await store.setPhoneNumber(trx, userId, phoneNumber, true);
      await this.notify(trx, user, user.phoneNumber === null ? 'added' : 'changed');
      await audit.record(trx, { userId, type: 'PhoneNumberAdded', detail: { replaced: user.phoneNumber !== null }, context });
      return changed;
    });
    this.deps.outbox.kick();
    return updated;
  }

  /** The owner hears of every change of number by email (ASVS 6.3.7). */
  private notify(trx: Queryable, user: User, change: 'added' | 'changed' | 'removed') {
    return this.deps.outbox.enqueue(trx, {
      channel: 'email',
      recipient: user.email,
      ...emails.phoneNumberChanged(change),
      userId: user.id,
      purpose: 'PhoneNumberChangedNotice',
    });
  }

  async removePhoneNumber(userId: string, context?: AuditContext): Promise<User | undefined> {
    const { knex, store, audit } = this.deps;
    const updated = await knex.transaction(async (trx) => {
      const user = await store.findById(trx, userId);
      // Never remove the last place a sign-in code can go while two-factor is on.
      if (!user || (user.twoFactorEnabled && !user.emailConfirmed)) return undefined;
      // No number, nothing to remove: no new stamp (which would sign the owner out everywhere
      // else), no audit of a change, no notice.
      if (user.phoneNumber === null && !user.phoneNumberConfirmed) return user;
      const changed = await store.setPhoneNumber(trx, userId, null, false);
      if (changed && user.phoneNumber !== null) await this.notify(trx, user, 'removed');
      if (changed) await audit.record(trx, { userId, type: 'PhoneNumberRemoved', context });
      return changed;
    });
    if (updated) this.deps.outbox.kick();
    return updated;
  }

  /** The code to show in demo mode, if one was just recorded for this number. */
  demoCode(userId: string, phoneNumber: string) {
    return this.deps.codes.demoCode(userId, 'PhoneNumberVerification', phoneNumber);
  }
}
