import type { Knex } from 'knex';
import type { Clock } from './clock.js';

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  /** When the current window ends (the earliest moment the next attempt may pass). */
  resetAt: Date;
}

export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

/**
 * Fixed-window counters in the `rate_limits` table, so every instance shares them. One atomic
 * upsert counts the hit and returns the new count: parallel requests can never all see
 * "under the limit" (a read-then-write in JavaScript would let them).
 */
export class RateLimiter {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
  ) {}

  async hit(key: string, rule: RateLimitRule): Promise<RateLimitResult> {
    const now = this.clock();
    const end = new Date(now.getTime() + rule.windowMs);
    const { rows } = await this.knex.raw(
      `INSERT INTO rate_limits (key, count, window_start, expires_at) VALUES (?, 1, ?, ?)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.expires_at <= ? THEN 1 ELSE rate_limits.count + 1 END,
         window_start = CASE WHEN rate_limits.expires_at <= ? THEN ? ELSE rate_limits.window_start END,
         expires_at = CASE WHEN rate_limits.expires_at <= ? THEN ? ELSE rate_limits.expires_at END
       RETURNING count, expires_at`,
      [key, now, end, now, now, now, now, end],
    );
    const count = Number(rows[0].count);
    return { allowed: count <= rule.limit, count, resetAt: new Date(rows[0].expires_at) };
  }

  /** Checks several rules (per user, per number, per IP...); all are counted, all must pass. */
  async hitAll(entries: Array<[key: string, rule: RateLimitRule]>): Promise<RateLimitResult> {
    let verdict: RateLimitResult = { allowed: true, count: 0, resetAt: this.clock() };
    for (const [key, rule] of entries) {
      const result = await this.hit(key, rule);
      if (!result.allowed && (verdict.allowed || result.resetAt > verdict.resetAt)) verdict = result;
    }
    return verdict;
  }

  async reset(key: string): Promise<void> {
    await this.knex('rate_limits').where({ key }).delete();
  }

  async pruneExpired(): Promise<number> {
    return this.knex('rate_limits').where('expires_at', '<=', this.clock()).delete();
  }
}
