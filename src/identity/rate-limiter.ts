import type { Knex } from 'knex';
import type { Clock } from '../clock.js';

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
    const [result] = await this.count([[key, rule]]);
    return result;
  }

  /** Checks several rules (per user, per number, per IP...); all are counted, all must pass. */
  async hitAll(entries: Array<[key: string, rule: RateLimitRule]>): Promise<RateLimitResult> {
    let verdict: RateLimitResult = { allowed: true, count: 0, resetAt: this.clock() };
    for (const result of await this.count(entries)) {
      if (!result.allowed && (verdict.allowed || result.resetAt > verdict.resetAt)) verdict = result;
    }
    return verdict;
  }

  /**
   * Counts a hit on every key in one statement (a sign-in counts two: one round trip and one
   * commit instead of two). Keys are sorted, so two requests counting the same keys lock their
   * rows in the same order and never deadlock; a key given twice is counted once.
   */
  private async count(entries: Array<[key: string, rule: RateLimitRule]>): Promise<RateLimitResult[]> {
    const rules = new Map(entries);
    if (!rules.size) return [];
    const keys = [...rules.keys()].sort();
    const now = this.clock();
    const { rows } = await this.knex.raw(
      `INSERT INTO rate_limits (key, count, window_start, expires_at) VALUES ${keys.map(() => '(?, 1, ?, ?)').join(', ')}
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.expires_at <= excluded.window_start THEN 1 ELSE rate_limits.count + 1 END,
         window_start = CASE WHEN rate_limits.expires_at <= excluded.window_start THEN excluded.window_start ELSE rate_limits.window_start END,
         expires_at = CASE WHEN rate_limits.expires_at <= excluded.window_start THEN excluded.expires_at ELSE rate_limits.expires_at END
       RETURNING key, count, expires_at`,
      keys.flatMap((key) => [key, now, new Date(now.getTime() + rules.get(key)!.windowMs)]),
    );
    const counted = new Map(
      (rows as Array<{ key: string; count: number | string; expires_at: Date | string }>).map((row) => [row.key, row]),
    );
    return entries.map(([key, rule]) => {
      const row = counted.get(key)!;
      const count = Number(row.count);
      return { allowed: count <= rule.limit, count, resetAt: new Date(row.expires_at) };
    });
  }

  async reset(key: string): Promise<void> {
    await this.knex('rate_limits').where({ key }).delete();
  }

  async pruneExpired(): Promise<number> {
    return this.knex('rate_limits').where('expires_at', '<=', this.clock()).delete();
  }
}
