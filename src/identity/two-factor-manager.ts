import type { Queryable } from '../db/queryable.js';
import { emails } from '../messages.js';
import type { Outbox } from '../messaging/outbox.js';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import { getValidTwoFactorProviders } from './two-factor-providers.js';
import type { User, UserStore } from '../db/stores/user-store.js';

export interface TwoFactorManagerDeps {
  knex: Queryable;
  store: UserStore;
  audit: AuditLog;
  outbox: Outbox;
}

/** Two-factor settings of a signed-in user (the sign-in itself is sign-in/sign-in-manager.ts). */
export class TwoFactorManager {
  constructor(private readonly deps: TwoFactorManagerDeps) {}

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
