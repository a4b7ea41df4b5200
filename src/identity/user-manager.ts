import type { AccountLinks } from './account-links.js';
import type { Queryable } from '../db/queryable.js';
import { emails } from '../messages.js';
import type { Outbox } from '../messaging/outbox.js';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import type { Clock } from '../clock.js';
import type { PasswordHasher } from './password-hasher.js';
import { failed, type IdentityError, type IdentityResult } from './identity-result.js';
import { passwordPolicyErrors, type PasswordPolicyOptions } from './password-policy.js';
import type { TokenPurpose, TokenStore } from './token-store.js';
import { DuplicateEmailError, type User, type UserStore } from '../db/stores/user-store.js';

export interface UserManagerDeps {
  knex: Queryable;
  store: UserStore;
  tokens: TokenStore;
  hasher: PasswordHasher;
  outbox: Outbox;
  audit: AuditLog;
  clock: Clock;
  passwordPolicy: PasswordPolicyOptions;
  links: AccountLinks;
  emailTokenTtlMs: number;
  resetTokenTtlMs: number;
}

export interface CreateUserOptions {
  email: string;
  password?: string;
  emailConfirmed?: boolean;
  lockoutEnabled?: boolean;
  roles?: string[];
  context?: AuditContext;
}

/**
 * Owns user state and policy (ASP.NET Identity's UserManager): creating users, passwords,
 * email confirmation and the security stamp. Knows nothing of HTTP.
 */
export class UserManager {
  constructor(private readonly deps: UserManagerDeps) {}

  findById(id: string) {
    return this.deps.store.findById(this.deps.knex, id);
  }

  findByEmail(email: string) {
    return this.deps.store.findByEmail(this.deps.knex, email);
  }

  listUsers(options?: { limit?: number; offset?: number }) {
    return this.deps.store.list(this.deps.knex, options);
  }

  countUsers() {
    return this.deps.store.count(this.deps.knex);
  }

  getRoles(userId: string) {
    return this.deps.store.getRoles(this.deps.knex, userId);
  }

  /** The password policy's refusals; empty when the password is acceptable. */
  passwordErrors(password: string): IdentityError[] {
    return passwordPolicyErrors(password, this.deps.passwordPolicy);
  }

  /** The same refusals as the descriptions a form shows under the password field. */
  validatePassword(password: string): string[] {
    return this.passwordErrors(password).map((e) => e.description);
  }

  /**
   * Registers an address, or, when it already has an account, tells its owner by email: both
   * paths hash a password and send one email, so the response reveals nothing. Returns the
   * link that went out, for demo mode.
   */
  async register(
    email: string,
    password: string,
    context?: AuditContext,
    options: { notifyExisting?: boolean } = {},
  ): Promise<IdentityResult<{ link: string }>> {
    const errors = this.passwordErrors(password);
    if (errors.length) return { succeeded: false, errors };
    const passwordHash = await this.deps.hasher.hash(password);
    const { store, outbox, audit } = this.deps;
    const link = await this.deps.knex.transaction(async (trx) => {
      const existing = await store.findByEmail(trx, email);
      if (existing) {
        // Past the sending limit the owner has been told already: no mail flood (case D41).
        const notify = options.notifyExisting !== false;
        if (notify) await this.tellOwnerAboutRegistration(trx, existing);
        await audit.record(trx, { userId: existing.id, type: 'RegistrationForExistingEmail', detail: { notified: notify }, context });
        return this.deps.links.logIn();
      }
      const user = await store.create(trx, { email, passwordHash });
      const confirmLink = await this.issueConfirmationLink(trx, user);
      await audit.record(trx, { userId: user.id, type: 'UserRegistered', context });
      return confirmLink;
    });
    outbox.kick();
    return { succeeded: true, value: { link } };
  }

  /**
   * Someone registered an address that has an account. A confirmed owner only hears about it.
   * An unconfirmed account may have been made by someone else with a password of their own
   * (account pre-hijacking), so its address gets both ways to claim it: confirm it as it is,
   * or set a password of its own (which confirms it and shuts out whoever made it).
   */
  private async tellOwnerAboutRegistration(trx: Queryable, existing: User): Promise<void> {
    const recipient = { channel: 'email' as const, recipient: existing.email, userId: existing.id };
    if (existing.emailConfirmed) {
      const mail = emails.alreadyRegistered(this.deps.links.logIn(), this.deps.links.forgotPassword());
      await this.deps.outbox.enqueue(trx, { ...recipient, ...mail, purpose: 'AlreadyRegistered' });
      return;
    }
    const confirmLink = this.deps.links.confirmEmail(existing.id, await this.generateEmailConfirmationToken(trx, existing));
    const resetLink = this.deps.links.resetPassword(existing.id, await this.generatePasswordResetToken(trx, existing));
    const mail = emails.unconfirmedAccountNotice(confirmLink, resetLink);
    // One secret column per message: the stretch of the body from the first link to the end of
    // the second holds both codes, and is what gets redacted once the mail is delivered, or
    // when the shorter-lived of the two links (the reset link) stops working.
    const secret = mail.body.slice(mail.body.indexOf(confirmLink), mail.body.indexOf(resetLink) + resetLink.length);
    const secretTtlMs = Math.min(this.deps.emailTokenTtlMs, this.deps.resetTokenTtlMs);
    await this.deps.outbox.enqueue(trx, { ...recipient, ...mail, secret, secretTtlMs, purpose: 'UnconfirmedAccountNotice' });
  }

  generateEmailConfirmationToken(trx: Queryable, user: User): Promise<string> {
    return this.issueAddressToken(trx, user, 'EmailConfirmation', this.deps.emailTokenTtlMs);
  }

  generatePasswordResetToken(trx: Queryable, user: User): Promise<string> {
    return this.issueAddressToken(trx, user, 'ResetPassword', this.deps.resetTokenTtlMs);
  }

  /**
   * A single-use token bound to the user, the purpose and the address, issued under the current
   * stamp: any later credential change voids it, and a newer request replaces it.
   */
  private issueAddressToken(trx: Queryable, user: User, purpose: TokenPurpose, ttlMs: number): Promise<string> {
    return this.deps.tokens.issue(trx, { userId: user.id, purpose, target: user.email, securityStamp: user.securityStamp, ttlMs });
  }

  async issueConfirmationLink(trx: Queryable, user: User): Promise<string> {
    const code = await this.generateEmailConfirmationToken(trx, user);
    const link = this.deps.links.confirmEmail(user.id, code);
    const mail = emails.confirmAccount(link);
    await this.deps.outbox.enqueue(trx, {
      channel: 'email',
      recipient: user.email,
      ...mail,
      secret: code,
      secretTtlMs: this.deps.emailTokenTtlMs,
      userId: user.id,
      purpose: 'EmailConfirmation',
    });
    return link;
  }

  /** The token is bound to the address it was sent to: it cannot confirm a changed email. */
  async confirmEmail(userId: string, code: string, context?: AuditContext): Promise<boolean> {
    const { store, tokens, audit } = this.deps;
    return this.deps.knex.transaction(async (trx) => {
      const user = await store.findById(trx, userId);
      if (!user) return false;
      const ok = await tokens.consume(trx, {
        userId: user.id,
        purpose: 'EmailConfirmation',
        target: user.email,
        securityStamp: user.securityStamp,
        secret: code,
      });
      if (!ok) return false;
      await store.setEmailConfirmed(trx, user.id);
      await audit.record(trx, { userId: user.id, type: 'EmailConfirmed', context });
      return true;
    });
  }

  /**
   * Housekeeping: an account nobody confirmed in time is deleted, so an address someone else
   * registered does not stay taken (account pre-hijacking) and unproven addresses are not kept.
   * One audit row per account, so an owner asking where their registration went can be answered
   * (the account's own audit rows lose their user id when it goes); the address is not kept.
   */
  async deleteStaleUnconfirmedAccounts(maxAgeMs: number): Promise<number> {
    const cutoff = new Date(this.deps.clock().getTime() - maxAgeMs);
    return this.deps.knex.transaction(async (trx) => {
      const deleted = await this.deps.store.deleteUnconfirmedCreatedBefore(trx, cutoff);
      for (const account of deleted) {
        await this.deps.audit.record(trx, {
          type: 'UnconfirmedAccountDeleted',
          detail: { userId: account.id, createdAt: account.createdAt.toISOString() },
        });
      }
      return deleted.length;
    });
  }

  /** For the admin CLI: creates a user directly, with roles, in one transaction. */
  async createUser(options: CreateUserOptions): Promise<IdentityResult<User>> {
    if (options.password !== undefined) {
      const errors = this.passwordErrors(options.password);
      if (errors.length) return { succeeded: false, errors };
    }
    const passwordHash = options.password === undefined ? null : await this.deps.hasher.hash(options.password);
    try {
      const user = await this.deps.knex.transaction(async (trx) => {
        const created = await this.deps.store.create(trx, {
          email: options.email,
          passwordHash,
          emailConfirmed: options.emailConfirmed,
          lockoutEnabled: options.lockoutEnabled,
        });
        for (const role of options.roles ?? []) await this.deps.store.addToRole(trx, created.id, role);
        await this.deps.audit.record(trx, {
          userId: created.id,
          type: 'UserCreatedByAdmin',
          detail: { roles: options.roles ?? [] },
          context: options.context,
        });
        return created;
      });
      return { succeeded: true, value: user };
    } catch (err) {
      if (err instanceof DuplicateEmailError) return failed('DuplicateEmail');
      throw err;
    }
  }

  async addToRole(userId: string, role: string, context?: AuditContext): Promise<void> {
    await this.deps.knex.transaction(async (trx) => {
      await this.deps.store.addToRole(trx, userId, role);
      await this.deps.audit.record(trx, { userId, type: 'RoleAdded', detail: { role }, context });
    });
  }

  /** Ends a lockout and clears the failure count; the series of two-factor lockouts stands (docs/two-factor.md). */
  async unlock(userId: string, context?: AuditContext): Promise<void> {
    await this.deps.knex.transaction(async (trx) => {
      await this.deps.store.setLockoutEnd(trx, userId, null);
      await this.deps.audit.record(trx, { userId, type: 'UserUnlocked', context });
    });
  }

  /** Rotating the stamp ends every other session and voids every outstanding token. */
  async updateSecurityStamp(userId: string, context?: AuditContext): Promise<User | undefined> {
    return this.deps.knex.transaction(async (trx) => {
      const user = await this.deps.store.updateSecurityStamp(trx, userId);
      await this.deps.audit.record(trx, { userId, type: 'SecurityStampUpdated', context });
      return user;
    });
  }

  isLockedOut(user: User): boolean {
    return user.lockoutEnabled && user.lockoutEnd !== null && user.lockoutEnd > this.deps.clock();
  }

  async checkPassword(user: User, password: string): Promise<boolean> {
    if (!user.passwordHash || [...password].length > this.deps.passwordPolicy.maxLength) {
      await this.deps.hasher.verifyDummy(password.slice(0, this.deps.passwordPolicy.maxLength));
      return false;
    }
    return this.deps.hasher.verify(user.passwordHash, password);
  }

  /** Changes the password (old one required); rotates the stamp and emails a notice. */
  async changePassword(userId: string, oldPassword: string, newPassword: string, context?: AuditContext): Promise<IdentityResult<User>> {
    const user = await this.findById(userId);
    if (!user) return failed('DefaultError');
    if (!(await this.checkPassword(user, oldPassword))) return failed('IncorrectPassword');
    return this.storeNewPassword(user, newPassword, 'PasswordChanged', context);
  }

  async storeNewPassword(
    user: User,
    newPassword: string,
    event: 'PasswordChanged' | 'PasswordSet' | 'PasswordReset',
    context?: AuditContext,
  ): Promise<IdentityResult<User>> {
    const errors = this.passwordErrors(newPassword);
    if (errors.length) return { succeeded: false, errors };
    const hash = await this.deps.hasher.hash(newPassword);
    const updated = await this.deps.knex.transaction(async (trx) => {
      const changed = await this.deps.store.setPasswordHash(trx, user.id, hash);
      await this.deps.outbox.enqueue(trx, {
        channel: 'email',
        recipient: user.email,
        ...emails.passwordChanged(),
        userId: user.id,
        purpose: 'PasswordChangedNotice',
      });
      await this.deps.audit.record(trx, { userId: user.id, type: event, context });
      return changed!;
    });
    this.deps.outbox.kick();
    return { succeeded: true, value: updated };
  }
}
