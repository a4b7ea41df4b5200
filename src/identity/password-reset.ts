import type { AccountLinks } from './account-links.js';
import type { Queryable } from '../db/queryable.js';
import { emails } from '../messages.js';
import type { Outbox } from '../messaging/outbox.js';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import type { PasswordHasher } from './password-hasher.js';
import type { TokenStore } from './token-store.js';
import type { UserLoginStore } from '../db/stores/user-login-store.js';
import { failed, type IdentityResult } from './identity-result.js';
import type { UserManager } from './user-manager.js';
import type { User, UserStore } from '../db/stores/user-store.js';

export interface PasswordResetDeps {
  links: AccountLinks;
  knex: Queryable;
  store: UserStore;
  tokens: TokenStore;
  hasher: PasswordHasher;
  users: UserManager;
  outbox: Outbox;
  audit: AuditLog;
  logins: UserLoginStore;
  /** How long a reset link works: its outbox copy is redacted when it stops working. */
  resetTokenTtlMs: number;
}

/**
 * Forgot password, reset password and set password (ASP.NET Identity's
 * GeneratePasswordResetToken / ResetPassword / AddPassword). Changing a known password stays in
 * UserManager.changePassword.
 */
export class PasswordResetManager {
  constructor(private readonly deps: PasswordResetDeps) {}

  /** A reset request past the per-address limit: no mail went out, only this row says so. */
  async recordThrottled(context?: AuditContext): Promise<void> {
    await this.deps.audit.record(this.deps.knex, { type: 'PasswordResetThrottled', context });
  }

  /** See UserManager.generatePasswordResetToken (registration mails reset links too). */
  generatePasswordResetToken(trx: Queryable, user: User): Promise<string> {
    return this.deps.users.generatePasswordResetToken(trx, user);
  }

  /**
   * ForgotPassword. Mails a link to any known address, confirmed or not (an unconfirmed account
   * may have been registered by someone else: the reset is how the owner of the address takes
   * it back), but does the same lookup, transaction and audit write for an unknown one, and
   * never waits for delivery (the outbox sends after the response): the answer and its timing
   * say nothing about the address. Returns the link for demo mode, when one was sent.
   */
  async sendPasswordResetLink(email: string, context?: AuditContext): Promise<{ link?: string }> {
    const { knex, store, outbox, audit } = this.deps;
    const link = await knex.transaction(async (trx) => {
      const user = await store.findByEmail(trx, email);
      if (!user) {
        await audit.record(trx, { userId: null, type: 'PasswordResetNotSent', detail: { reason: 'UnknownUser' }, context });
        return undefined;
      }
      const code = await this.generatePasswordResetToken(trx, user);
      const resetLink = this.deps.links.resetPassword(user.id, code);
      await outbox.enqueue(trx, {
        channel: 'email',
        recipient: user.email,
        ...emails.resetPassword(resetLink),
        secret: code,
        secretTtlMs: this.deps.resetTokenTtlMs,
        userId: user.id,
        purpose: 'ResetPassword',
      });
      await audit.record(trx, { userId: user.id, type: 'PasswordResetRequested', context });
      return resetLink;
    });
    outbox.kick();
    return { link };
  }

  /**
   * ResetPassword. Any bad, used, expired or foreign token gives "Invalid token." and changes
   * nothing. Success rotates the stamp (every session, pending two-factor step, remembered
   * browser and other token of the account ends) and clears a lockout; it never signs in and
   * never turns two-factor off. The link came through the address, so it also confirms it.
   * The user is the one the link names: the token is bound to that user, so another id with
   * this code, or a malformed one, fails like a bad code.
   */
  async resetPassword(userId: string, code: string, newPassword: string, context?: AuditContext): Promise<IdentityResult<User>> {
    const { knex, store, tokens, hasher, users, outbox, audit } = this.deps;
    const errors = users.passwordErrors(newPassword);
    if (errors.length) return { succeeded: false, errors };
    // Hash before looking anything up, for known, unknown and malformed ids alike: same work, same time.
    const hash = await hasher.hash(newPassword);
    const user = await knex.transaction(async (trx) => {
      const found = await store.findById(trx, userId);
      if (!found) return undefined;
      const valid = await tokens.consume(trx, {
        userId: found.id,
        purpose: 'ResetPassword',
        target: found.email,
        securityStamp: found.securityStamp,
        secret: code,
      });
      if (!valid) return undefined;
      await store.setLockoutEnd(trx, found.id, null);
      if (!found.emailConfirmed) await this.confirmThroughReset(trx, found, context);
      const updated = await store.setPasswordHash(trx, found.id, hash);
      await outbox.enqueue(trx, {
        channel: 'email',
        recipient: found.email,
        ...emails.passwordChanged(),
        userId: found.id,
        purpose: 'PasswordChangedNotice',
      });
      await audit.record(trx, { userId: found.id, type: 'PasswordReset', context });
      return updated;
    });
    if (!user) {
      await audit.record(knex, { type: 'PasswordResetFailed', detail: { reason: 'InvalidToken' }, context });
      return failed('InvalidToken');
    }
    outbox.kick();
    return { succeeded: true, value: user };
  }

  /**
   * The owner of the address just proved it. Whoever made the account before that may not have
   * been them (account pre-hijacking): a Google login linked while the address was unproven
   * would still let its holder in, so it is removed; the owner can link their own again.
   */
  private async confirmThroughReset(trx: Queryable, user: User, context?: AuditContext): Promise<void> {
    const { store, logins, audit } = this.deps;
    await store.setEmailConfirmed(trx, user.id);
    await audit.record(trx, { userId: user.id, type: 'EmailConfirmed', detail: { through: 'PasswordReset' }, context });
    for (const login of await logins.removeAll(trx, user.id)) {
      await audit.record(trx, {
        userId: user.id,
        type: 'ExternalLoginRemoved',
        detail: { provider: login.loginProvider, reason: 'LinkedBeforeEmailConfirmed' },
        context,
      });
    }
  }

  /** SetPassword, for accounts created through an external login: only when none is set yet. */
  async addPassword(userId: string, newPassword: string, context?: AuditContext): Promise<IdentityResult<User>> {
    const user = await this.deps.users.findById(userId);
    if (!user) return failed('DefaultError');
    if (user.passwordHash !== null) return failed('UserAlreadyHasPassword');
    return this.deps.users.storeNewPassword(user, newPassword, 'PasswordSet', context);
  }
}
