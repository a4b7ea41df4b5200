import type { Queryable } from '../queryable.js';

/** One row of `user_tokens`: only the keyed hash of the secret is stored, never the secret. */
export interface NewUserToken {
  userId: string;
  purpose: string;
  target: string | null;
  tokenHash: string;
  securityStamp: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface OpenUserToken {
  id: string;
  tokenHash: string;
  securityStamp: string;
}

/** All SQL about `user_tokens`. Hashing, expiry and comparison are the TokenStore's. */
export class UserTokenStore {
  /** Voids the user's open tokens for a purpose: only the newest link or code works. */
  async consumeOpen(db: Queryable, userId: string, purpose: string, now: Date): Promise<number> {
    return db('user_tokens').where({ user_id: userId, purpose }).whereNull('consumed_at').update({ consumed_at: now });
  }

  async insert(db: Queryable, token: NewUserToken): Promise<void> {
    await db('user_tokens').insert({
      user_id: token.userId,
      purpose: token.purpose,
      target: token.target,
      token_hash: token.tokenHash,
      security_stamp: token.securityStamp,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
    });
  }

  /** The newest open, unexpired token of a user for a purpose. */
  async findNewestOpen(db: Queryable, userId: string, purpose: string, now: Date): Promise<OpenUserToken | undefined> {
    const row = await db('user_tokens')
      .where({ user_id: userId, purpose })
      .whereNull('consumed_at')
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .first();
    return row ? { id: row.id, tokenHash: row.token_hash, securityStamp: row.security_stamp } : undefined;
  }

  /** When the user's open, unexpired token for a purpose (and target, if given) was issued. */
  async openIssuedAt(db: Queryable, userId: string, purpose: string, target: string | undefined, now: Date): Promise<Date | undefined> {
    const row = await db('user_tokens')
      .where({ user_id: userId, purpose, ...(target === undefined ? {} : { target }) })
      .whereNull('consumed_at')
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .first('created_at');
    return row ? new Date(row.created_at) : undefined;
  }

  /**
   * Counts one guess at an open token, unless it already had `maxAttempts`: one conditional
   * UPDATE, so parallel guesses cannot exceed the limit. True when this guess was counted.
   */
  async countAttempt(db: Queryable, id: string, maxAttempts: number): Promise<boolean> {
    const counted = await db('user_tokens')
      .where({ id })
      .whereNull('consumed_at')
      .where('attempts', '<', maxAttempts)
      .increment('attempts', 1)
      .returning('id');
    return counted.length === 1;
  }

  /** Consumes one token if it is still open; of two parallel uses only one gets true. */
  async consume(db: Queryable, id: string, now: Date): Promise<boolean> {
    const used = await db('user_tokens').where({ id }).whereNull('consumed_at').update({ consumed_at: now });
    return used === 1;
  }

  async deleteExpired(db: Queryable, now: Date): Promise<number> {
    return db('user_tokens').where('expires_at', '<=', now).delete();
  }
}
