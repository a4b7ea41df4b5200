import type { Queryable } from '../queryable.js';

/** A key's fixed window after a hit: its count and when the window ends. */
export interface RateLimitWindow {
  count: number;
  expiresAt: Date;
}

/** All SQL about `rate_limits`, the fixed-window counters every instance shares. */
export class RateLimitStore {
  /**
   * Counts a hit on every key in one atomic upsert, which returns the new counts: parallel
   * requests can never all see "under the limit" (a read-then-write in JavaScript would let
   * them). A key whose window ended starts a new one of its `windowMs` at `now`. The caller
   * gives distinct keys in a fixed order (two requests counting the same keys then lock their
   * rows in the same order and never deadlock).
   */
  async countHits(db: Queryable, hits: Array<{ key: string; windowMs: number }>, now: Date): Promise<Map<string, RateLimitWindow>> {
    const { rows } = await db.raw(
      `INSERT INTO rate_limits (key, count, window_start, expires_at) VALUES ${hits.map(() => '(?, 1, ?, ?)').join(', ')}
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.expires_at <= excluded.window_start THEN 1 ELSE rate_limits.count + 1 END,
         window_start = CASE WHEN rate_limits.expires_at <= excluded.window_start THEN excluded.window_start ELSE rate_limits.window_start END,
         expires_at = CASE WHEN rate_limits.expires_at <= excluded.window_start THEN excluded.expires_at ELSE rate_limits.expires_at END
       RETURNING key, count, expires_at`,
      hits.flatMap(({ key, windowMs }) => [key, now, new Date(now.getTime() + windowMs)]),
    );
    return new Map(
      (rows as Array<{ key: string; count: number | string; expires_at: Date | string }>).map((row) => [
        row.key,
        { count: Number(row.count), expiresAt: new Date(row.expires_at) },
      ]),
    );
  }

  async delete(db: Queryable, key: string): Promise<void> {
    await db('rate_limits').where({ key }).delete();
  }

  async deleteExpired(db: Queryable, now: Date): Promise<number> {
    return db('rate_limits').where('expires_at', '<=', now).delete();
  }
}
