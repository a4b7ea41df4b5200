import type { AccountLinks } from './account-links.js';
import type { Queryable } from '../db/queryable.js';
import { emails } from '../messages.js';
import type { Outbox } from '../messaging/outbox.js';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import { LoginAlreadyLinkedError, type UserLoginInfo, type UserLoginStore } from '../db/stores/user-login-store.js';
import { failed, type IdentityResult } from './identity-result.js';
import type { UserManager } from './user-manager.js';
import { DuplicateEmailError, type User, type UserStore } from '../db/stores/user-store.js';

/** What a provider told us about the person who just signed in with it. */
export interface ExternalLoginInfo extends UserLoginInfo {
  email: string | null;
  /** The provider vouches that this person controls `email` (Google's email_verified). */
  emailVerified: boolean;
}

export interface ExternalLoginDeps {
  links: AccountLinks;
  knex: Queryable;
  store: UserStore;
  logins: UserLoginStore;
  users: UserManager;
  outbox: Outbox;
  audit: AuditLog;
}

export type CreateWithLoginResult =
  { outcome: 'Created'; user: User } | { outcome: 'ConfirmationSent'; link: string } | { outcome: 'LoginTaken' };

/**
 * External logins (ASP.NET Identity's login half of UserManager and SignInManager): finding a
 * user by provider key, signing in, creating an account from a login, linking and unlinking.
 * A login is only ever found by (provider, key), never by email, so a provider account can
 * never take over a local account that happens to share its address.
 */
export class ExternalLoginManager {
  constructor(private readonly deps: ExternalLoginDeps) {}

  async findByLogin(loginProvider: string, providerKey: string): Promise<User | undefined> {
    const userId = await this.deps.logins.findUserId(this.deps.knex, loginProvider, providerKey);
    return userId ? this.deps.users.findById(userId) : undefined;
  }

  getLogins(userId: string): Promise<UserLoginInfo[]> {
    return this.deps.logins.list(this.deps.knex, userId);
  }

  /** A provider's round trip that came back refused, forged or stale (google-auth.ts says why). */
  async recordFailure(userId: string | null, provider: string, reason: string, context?: AuditContext): Promise<void> {
    await this.deps.audit.record(this.deps.knex, { userId, type: 'ExternalLoginFailed', detail: { provider, reason }, context });
  }

  /**
   * ExternalLoginConfirmation: a new, password-less account holding the login. The account is
   * confirmed only when the provider verified that very address; otherwise it must be confirmed
   * by email first. An address that already has an account gets a notice instead, and the page
   * looks the same, so nobody learns which addresses have accounts.
   */
  async createUserWithLogin(
    email: string,
    login: ExternalLoginInfo,
    context?: AuditContext,
    options: { notifyExisting?: boolean } = {},
  ): Promise<CreateWithLoginResult> {
    const { knex, store, logins, outbox } = this.deps;
    try {
      const result = await knex.transaction(async (trx): Promise<CreateWithLoginResult> => {
        if (await logins.findUserId(trx, login.loginProvider, login.providerKey)) return { outcome: 'LoginTaken' };
        const existing = await store.findByEmail(trx, email);
        if (existing) return this.noticeToExisting(trx, existing, login, options.notifyExisting !== false, context);
        return this.createWithLogin(trx, email, login, context);
      });
      outbox.kick();
      return result;
    } catch (err) {
      // A parallel request won the race for this login or address (the transaction rolled back).
      if (err instanceof LoginAlreadyLinkedError) return { outcome: 'LoginTaken' };
      if (err instanceof DuplicateEmailError) return { outcome: 'ConfirmationSent', link: this.deps.links.logIn() };
      throw err;
    }
  }

  /** The address has an account: its owner is told (unless past the sending limit, case D41). */
  private async noticeToExisting(
    trx: Queryable,
    existing: User,
    login: ExternalLoginInfo,
    notify: boolean,
    context?: AuditContext,
  ): Promise<CreateWithLoginResult> {
    const loginLink = this.deps.links.logIn();
    if (notify) {
      const mail = emails.externalLoginForExistingEmail(login.providerDisplayName ?? login.loginProvider, loginLink);
      await this.deps.outbox.enqueue(trx, {
        channel: 'email',
        recipient: existing.email,
        ...mail,
        userId: existing.id,
        purpose: 'ExternalLoginForExistingEmail',
      });
    }
    await this.deps.audit.record(trx, {
      userId: existing.id,
      type: 'ExternalRegistrationForExistingEmail',
      detail: { provider: login.loginProvider, notified: notify },
      context,
    });
    return { outcome: 'ConfirmationSent', link: loginLink };
  }

  /** A new password-less account holding the login, confirmed only if the provider vouched for the address. */
  private async createWithLogin(
    trx: Queryable,
    email: string,
    login: ExternalLoginInfo,
    context?: AuditContext,
  ): Promise<CreateWithLoginResult> {
    const { store, logins, users, audit } = this.deps;
    const confirmed = login.emailVerified && login.email !== null && login.email.toLowerCase() === email.toLowerCase();
    const user = await store.create(trx, { email, passwordHash: null, emailConfirmed: confirmed });
    await logins.add(trx, user.id, login);
    const provider = login.loginProvider;
    await audit.record(trx, { userId: user.id, type: 'UserRegistered', detail: { provider, emailConfirmed: confirmed }, context });
    await audit.record(trx, { userId: user.id, type: 'ExternalLoginAdded', detail: { provider }, context });
    if (confirmed) return { outcome: 'Created', user };
    return { outcome: 'ConfirmationSent', link: await users.issueConfirmationLink(trx, user) };
  }

  /** Links a login to a signed-in user; a login already held by anyone is refused, never moved. */
  async addLogin(userId: string, login: UserLoginInfo, context?: AuditContext): Promise<IdentityResult<User>> {
    const { knex, store, logins, audit } = this.deps;
    try {
      const user = await knex.transaction(async (trx) => {
        const holder = await logins.findUserId(trx, login.loginProvider, login.providerKey);
        if (holder) throw new LoginAlreadyLinkedError();
        await logins.add(trx, userId, login);
        // A new way in is a security-profile change: other sessions end, as in ASP.NET Core.
        const updated = await store.updateSecurityStamp(trx, userId);
        await audit.record(trx, { userId, type: 'ExternalLoginAdded', detail: { provider: login.loginProvider }, context });
        return updated;
      });
      if (!user) return failed('DefaultError');
      return { succeeded: true, value: user };
    } catch (err) {
      if (err instanceof LoginAlreadyLinkedError) {
        await audit.record(knex, {
          userId,
          type: 'ExternalLoginAddRefused',
          detail: { provider: login.loginProvider, reason: 'LinkedElsewhere' },
          context,
        });
        return failed('LoginAlreadyAssociated');
      }
      throw err;
    }
  }

  /**
   * Removes a login, but never the last way in (no password and no other login). The user's
   * row is locked first, so two parallel removals cannot each see "one more left".
   */
  async removeLogin(userId: string, loginProvider: string, providerKey: string, context?: AuditContext): Promise<IdentityResult<User>> {
    const { knex, store, logins, audit } = this.deps;
    const result = await knex.transaction(async (trx): Promise<IdentityResult<User>> => {
      const row = await store.findPasswordHashForUpdate(trx, userId);
      if (!row) return failed('DefaultError');
      const count = await logins.count(trx, userId);
      if (row.passwordHash === null && count <= 1) {
        return failed('LastLoginMethod');
      }
      if (!(await logins.remove(trx, userId, loginProvider, providerKey))) {
        return failed('DefaultError');
      }
      const updated = await store.updateSecurityStamp(trx, userId);
      await audit.record(trx, { userId, type: 'ExternalLoginRemoved', detail: { provider: loginProvider }, context });
      return { succeeded: true, value: updated! };
    });
    if (!result.succeeded) {
      await audit.record(knex, { userId, type: 'ExternalLoginRemoveRefused', detail: { provider: loginProvider }, context });
    }
    return result;
  }
}
