import crypto from 'node:crypto';
import type { Queryable } from '../queryable.js';

export interface User {
  id: string;
  userName: string;
  email: string;
  emailConfirmed: boolean;
  passwordHash: string | null;
  securityStamp: string;
  phoneNumber: string | null;
  phoneNumberConfirmed: boolean;
  twoFactorEnabled: boolean;
  lockoutEnabled: boolean;
  lockoutEnd: Date | null;
  accessFailedCount: number;
  /** Two-factor lockouts in a row since the last complete sign-in (docs/two-factor.md). */
  lockoutSeries: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  email: string;
  userName?: string;
  passwordHash: string | null;
  emailConfirmed?: boolean;
  lockoutEnabled?: boolean;
}

export class DuplicateEmailError extends Error {
  constructor() {
    super('An account with this email already exists.');
    this.name = 'DuplicateEmailError';
  }
}

export const newSecurityStamp = () => crypto.randomBytes(20).toString('base64url');

// Columns are snake_case in the database and camelCase in code; this is the one mapping.
export function toUser(row: Record<string, unknown>): User {
  return {
    id: row.id as string,
    userName: row.user_name as string,
    email: row.email as string,
    emailConfirmed: row.email_confirmed as boolean,
    passwordHash: (row.password_hash as string | null) ?? null,
    securityStamp: row.security_stamp as string,
    phoneNumber: (row.phone_number as string | null) ?? null,
    phoneNumberConfirmed: row.phone_number_confirmed as boolean,
    twoFactorEnabled: row.two_factor_enabled as boolean,
    lockoutEnabled: row.lockout_enabled as boolean,
    lockoutEnd: row.lockout_end ? new Date(row.lockout_end as string) : null,
    accessFailedCount: Number(row.access_failed_count),
    lockoutSeries: Number(row.lockout_series ?? 0),
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
  };
}

/** User ids are uuids: anything else names no user (and must not reach a uuid column). */
export const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/**
 * All SQL about users. Every method takes the queryable to run on, so callers can pass a
 * transaction (PGlite has a single connection: a query outside the open transaction would
 * wait forever). Every change that touches credentials rotates the security stamp in the
 * same statement, so it cannot be forgotten.
 */
export class UserStore {
  async create(db: Queryable, input: NewUser): Promise<User> {
    try {
      const [row] = await db('users')
        .insert({
          email: input.email,
          user_name: input.userName ?? input.email,
          password_hash: input.passwordHash,
          email_confirmed: input.emailConfirmed ?? false,
          lockout_enabled: input.lockoutEnabled ?? true,
          security_stamp: newSecurityStamp(),
        })
        .returning('*');
      return toUser(row);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new DuplicateEmailError();
      throw err;
    }
  }

  async findById(db: Queryable, id: string): Promise<User | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await db('users').where({ id }).first();
    return row ? toUser(row) : undefined;
  }

  async findByEmail(db: Queryable, email: string): Promise<User | undefined> {
    const row = await db('users').where({ email }).first();
    return row ? toUser(row) : undefined;
  }

  /**
   * Locks the user's row until the transaction ends and returns its password hash: a check
   * like "one more way in is left" then holds until the change it guards commits.
   */
  /** Locks the user's row until the transaction ends: one request at a time acts for this user. */
  async lock(db: Queryable, id: string): Promise<boolean> {
    return (await db('users').where({ id }).forUpdate().first('id')) !== undefined;
  }

  async findPasswordHashForUpdate(db: Queryable, id: string): Promise<{ passwordHash: string | null } | undefined> {
    const row = await db('users').where({ id }).forUpdate().first('password_hash');
    return row ? { passwordHash: (row.password_hash as string | null) ?? null } : undefined;
  }

  async list(db: Queryable, options: { limit?: number; offset?: number } = {}): Promise<User[]> {
    const rows = await db('users')
      .orderBy('created_at', 'asc')
      .orderBy('email', 'asc')
      .limit(options.limit ?? 1000)
      .offset(options.offset ?? 0);
    return rows.map(toUser);
  }

  async count(db: Queryable): Promise<number> {
    const [{ n }] = await db('users').count<{ n: number | string }[]>('* as n');
    return Number(n);
  }

  private async update(db: Queryable, id: string, changes: Record<string, unknown>, rotateStamp: boolean): Promise<User | undefined> {
    const [row] = await db('users')
      .where({ id })
      .update({
        ...changes,
        ...(rotateStamp ? { security_stamp: newSecurityStamp() } : {}),
        updated_at: db.fn.now(),
      })
      .returning('*');
    return row ? toUser(row) : undefined;
  }

  setPasswordHash(db: Queryable, id: string, passwordHash: string | null) {
    return this.update(db, id, { password_hash: passwordHash }, true);
  }

  setEmailConfirmed(db: Queryable, id: string) {
    return this.update(db, id, { email_confirmed: true }, false);
  }

  updateSecurityStamp(db: Queryable, id: string) {
    return this.update(db, id, {}, true);
  }

  setPhoneNumber(db: Queryable, id: string, phoneNumber: string | null, confirmed: boolean) {
    return this.update(db, id, { phone_number: phoneNumber, phone_number_confirmed: confirmed }, true);
  }

  setTwoFactorEnabled(db: Queryable, id: string, enabled: boolean) {
    return this.update(db, id, { two_factor_enabled: enabled }, true);
  }

  /**
   * After a complete sign-in (both factors): the failures are forgiven and the series of
   * lockouts is over, so the next lockout is the first again.
   */
  resetAccessFailedCount(db: Queryable, id: string) {
    return this.update(db, id, { access_failed_count: 0, lockout_series: 0 }, false);
  }

  /**
   * Ends (or sets) a lockout and clears the failure count, for an administrator's unlock or a
   * password reset. The series stands: neither proves the second factor, so the next lockout
   * is the next step, not the first again.
   */
  setLockoutEnd(db: Queryable, id: string, lockoutEnd: Date | null) {
    return this.update(db, id, { lockout_end: lockoutEnd, access_failed_count: 0 }, false);
  }

  /**
   * Counts an attempt *before* it is checked, in one statement that also returns the lockout:
   * parallel guesses each get their own number, so only those within the limit are checked.
   * While the account is locked nothing more is counted.
   */
  async incrementAccessFailedCountUnlessLockedOut(db: Queryable, id: string, now: Date) {
    const [row] = await db('users')
      .where({ id })
      .update({
        access_failed_count: db.raw('CASE WHEN lockout_end > ? THEN access_failed_count ELSE access_failed_count + 1 END', [now]),
      })
      .returning(['access_failed_count', 'lockout_end']);
    if (!row) return undefined;
    return { count: Number(row.access_failed_count), lockoutEnd: row.lockout_end ? new Date(row.lockout_end) : null };
  }

  /**
   * Starts the next lockout of the series (and resets the count) unless one is running, in one
   * statement: the series step and the lockout's length (the step's entry of `durationsMs`, the
   * last one repeating) are read and written together, so parallel callers on any number of
   * instances can neither skip nor double a step. Returns the step and its end to the one
   * caller that started it, undefined to the others.
   */
  async lockOutUnlessLockedOut(
    db: Queryable,
    id: string,
    now: Date,
    durationsMs: readonly number[],
  ): Promise<{ series: number; lockoutEnd: Date } | undefined> {
    if (durationsMs.length === 0 || durationsMs.some((ms) => !Number.isSafeInteger(ms) || ms <= 0)) {
      throw new Error('lockout durations must be positive whole milliseconds');
    }
    // Every right-hand side sees the row as it was: lockout_series + 1 is the new step.
    const [row] = await db('users')
      .where({ id })
      .where((q) => q.whereNull('lockout_end').orWhere('lockout_end', '<=', now))
      .update({
        lockout_series: db.raw('lockout_series + 1'),
        lockout_end: db.raw("?::timestamptz + (?::bigint[])[LEAST(lockout_series + 1, ?)] * interval '1 millisecond'", [
          now,
          `{${durationsMs.join(',')}}`,
          durationsMs.length,
        ]),
        access_failed_count: 0,
        updated_at: db.fn.now(),
      })
      .returning(['lockout_series', 'lockout_end']);
    if (!row) return undefined;
    return { series: Number(row.lockout_series), lockoutEnd: new Date(row.lockout_end) };
  }

  /**
   * Deletes accounts nobody confirmed since `cutoff` that hold nothing else: no external login
   * (its holder signs in with it, confirmed or not later) and no role (an administrator made or
   * touched it). Re-checked by the DELETE itself, so an account confirmed meanwhile stays.
   * At most `limit` per call, to keep each statement short.
   */
  async deleteUnconfirmedCreatedBefore(db: Queryable, cutoff: Date, limit = 500): Promise<Array<{ id: string; createdAt: Date }>> {
    const rows = await db('users')
      .whereIn('id', (q) =>
        q
          .select('u.id')
          .from('users as u')
          .where('u.email_confirmed', false)
          .where('u.created_at', '<', cutoff)
          .whereNotExists((l) => l.select(db.raw('1')).from('user_logins as l').whereRaw('l.user_id = u.id'))
          .whereNotExists((r) => r.select(db.raw('1')).from('user_roles as r').whereRaw('r.user_id = u.id'))
          .limit(limit),
      )
      .where('email_confirmed', false)
      .delete()
      .returning(['id', 'created_at']);
    return rows.map((row: Record<string, unknown>) => ({ id: row.id as string, createdAt: new Date(row.created_at as string) }));
  }

  // Roles

  async createRole(db: Queryable, name: string): Promise<{ id: string; name: string }> {
    await db('roles').insert({ name }).onConflict('name').ignore();
    const row = await db('roles').where({ name }).first();
    return { id: row.id, name: row.name };
  }

  async addToRole(db: Queryable, userId: string, roleName: string): Promise<void> {
    const role = await this.createRole(db, roleName);
    await db('user_roles').insert({ user_id: userId, role_id: role.id }).onConflict().ignore();
  }

  async getRoles(db: Queryable, userId: string): Promise<string[]> {
    const rows = await db('user_roles')
      .join('roles', 'roles.id', 'user_roles.role_id')
      .where('user_roles.user_id', userId)
      .orderBy('roles.name')
      .select('roles.name');
    return rows.map((r: { name: string }) => r.name);
  }
}
