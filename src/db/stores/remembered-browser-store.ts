import type { Queryable } from '../queryable.js';

export interface NewRememberedBrowser {
  userId: string;
  tokenHash: string;
  securityStamp: string;
  userAgent: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface RememberedBrowserRow {
  tokenHash: string;
  securityStamp: string;
}

/** All SQL about `remembered_browsers`: rows hold a keyed hash of the cookie's token, never the token. */
export class RememberedBrowserStore {
  /** Deletes one browser of a user; returns how many rows went (0 or 1). */
  async delete(db: Queryable, userId: string, tokenHash: string): Promise<number> {
    return db('remembered_browsers').where({ user_id: userId, token_hash: tokenHash }).delete();
  }

  /** Deletes the user's browsers remembered under any other stamp: they are dead anyway. */
  async deleteOtherStamps(db: Queryable, userId: string, securityStamp: string): Promise<void> {
    await db('remembered_browsers').where({ user_id: userId }).whereNot({ security_stamp: securityStamp }).delete();
  }

  async insert(db: Queryable, browser: NewRememberedBrowser): Promise<void> {
    await db('remembered_browsers').insert({
      user_id: browser.userId,
      token_hash: browser.tokenHash,
      security_stamp: browser.securityStamp,
      user_agent: browser.userAgent,
      created_at: browser.createdAt,
      last_seen_at: browser.createdAt,
      expires_at: browser.expiresAt,
    });
  }

  async findUnexpired(db: Queryable, userId: string, tokenHash: string, now: Date): Promise<RememberedBrowserRow | undefined> {
    const row = await db('remembered_browsers').where({ user_id: userId, token_hash: tokenHash }).where('expires_at', '>', now).first();
    return row ? { tokenHash: row.token_hash, securityStamp: row.security_stamp } : undefined;
  }

  async touch(db: Queryable, userId: string, tokenHash: string, now: Date): Promise<void> {
    await db('remembered_browsers').where({ user_id: userId, token_hash: tokenHash }).update({ last_seen_at: now });
  }

  /** Deletes browsers that expired or were bound to a stamp their user no longer has. */
  async deleteDead(db: Queryable, now: Date): Promise<number> {
    return db('remembered_browsers as rb')
      .where('rb.expires_at', '<=', now)
      .orWhereNotExists(db('users as u').select(db.raw('1')).whereRaw('u.id = rb.user_id and u.security_stamp = rb.security_stamp'))
      .delete();
  }
}
