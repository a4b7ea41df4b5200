import type { Queryable } from '../db/queryable.js';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import type { User } from '../db/stores/user-store.js';
import type { UserManager } from './user-manager.js';

export type SignInResult =
  | { status: 'Succeeded'; user: User }
  | { status: 'RequiresTwoFactor'; user: User }
  | { status: 'LockedOut' }
  | { status: 'NotAllowed' }
  | { status: 'Failed' };

export interface SignInManagerDeps {
  knex: Queryable;
  users: UserManager;
  audit: AuditLog;
}

/**
 * Owns the sign-in conversation (password → confirmation → lockout → second factor). The web
 * layer turns a result into a session; this class never sees a request.
 */
export class SignInManager {
  constructor(private readonly deps: SignInManagerDeps) {}

  async passwordSignIn(email: string, password: string, context?: AuditContext): Promise<SignInResult> {
    const { users, audit, knex } = this.deps;
    const user = await users.findByEmail(email);
    if (!user) {
      // Don't reveal that the user does not exist: spend one argon2 verification anyway.
      await users.checkPassword({ passwordHash: null } as User, password);
      await audit.record(knex, { type: 'SignInFailed', detail: { reason: 'UnknownUser' }, context });
      return { status: 'Failed' };
    }
    const passwordOk = await users.checkPassword(user, password);
    if (!passwordOk) {
      await audit.record(knex, { userId: user.id, type: 'SignInFailed', detail: { reason: 'WrongPassword' }, context });
      return { status: 'Failed' };
    }
    // Lockout and confirmation are revealed only to someone who knows the password.
    if (users.isLockedOut(user)) {
      await audit.record(knex, { userId: user.id, type: 'SignInLockedOut', context });
      return { status: 'LockedOut' };
    }
    if (!user.emailConfirmed) {
      await audit.record(knex, { userId: user.id, type: 'SignInNotAllowed', detail: { reason: 'EmailNotConfirmed' }, context });
      return { status: 'NotAllowed' };
    }
    if (user.twoFactorEnabled) return { status: 'RequiresTwoFactor', user };
    await audit.record(knex, { userId: user.id, type: 'SignedIn', detail: { method: 'password' }, context });
    return { status: 'Succeeded', user };
  }
}
