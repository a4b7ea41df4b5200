import type { Queryable } from '../queryable.js';

/** One external login (ASP.NET Identity's UserLoginInfo): a provider's key for one of our users. */
export interface UserLoginInfo {
  loginProvider: string;
  providerKey: string;
  providerDisplayName: string | null;
}

export class LoginAlreadyLinkedError extends Error {
  constructor() {
    super('This login is already linked to another account.');
    this.name = 'LoginAlreadyLinkedError';
  }
}

const toLogin = (row: Record<string, unknown>): UserLoginInfo => ({
  loginProvider: row.login_provider as string,
  providerKey: row.provider_key as string,
  providerDisplayName: (row.provider_display_name as string | null) ?? null,
});

/** All SQL about `user_logins`. (provider, key) is the primary key: one login, one user. */
export class UserLoginStore {
  async findUserId(db: Queryable, loginProvider: string, providerKey: string): Promise<string | undefined> {
    const row = await db('user_logins').where({ login_provider: loginProvider, provider_key: providerKey }).first('user_id');
    return row?.user_id as string | undefined;
  }

  async list(db: Queryable, userId: string): Promise<UserLoginInfo[]> {
    const rows = await db('user_logins').where({ user_id: userId }).orderBy('created_at', 'asc');
    return rows.map(toLogin);
  }

  async count(db: Queryable, userId: string): Promise<number> {
    const [{ n }] = await db('user_logins').where({ user_id: userId }).count<{ n: number | string }[]>('* as n');
    return Number(n);
  }

  /** The primary key decides races: a second user claiming the same login gets an error, never the login. */
  async add(db: Queryable, userId: string, login: UserLoginInfo): Promise<void> {
    try {
      await db('user_logins').insert({
        login_provider: login.loginProvider,
        provider_key: login.providerKey,
        provider_display_name: login.providerDisplayName,
        user_id: userId,
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new LoginAlreadyLinkedError();
      throw err;
    }
  }

  async remove(db: Queryable, userId: string, loginProvider: string, providerKey: string): Promise<boolean> {
    // RETURNING rather than the affected-row count: inside a transaction knex-pglite returns
    // its raw result object instead of a number.
    const rows = await db('user_logins')
      .where({ user_id: userId, login_provider: loginProvider, provider_key: providerKey })
      .delete()
      .returning('provider_key');
    return rows.length > 0;
  }

  /** Removes every login of a user; returns the ones removed. */
  async removeAll(db: Queryable, userId: string): Promise<UserLoginInfo[]> {
    const rows = await db('user_logins').where({ user_id: userId }).delete().returning('*');
    return rows.map(toLogin);
  }
}
