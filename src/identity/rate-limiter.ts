import type { Clock } from '../clock.js';
import type { Queryable } from '../db/queryable.js';
import { RateLimitStore } from '../db/stores/rate-limit-store.js';

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
 * upsert counts the hit and returns the new count (RateLimitStore.countHits); the limit
 * arithmetic is here.
 */
export class RateLimiter {
  constructor(
    private readonly knex: Queryable,
    private readonly clock: Clock,
    private readonly store = new RateLimitStore(),
  ) {}

  async hit(key: string, rule: RateLimitRule): Promise<RateLimitResult> {
    const [result] = await this.count([[key, rule]]);
    return result;
  }

  /**
   * Checks several rules (per user, per number, per IP...); all are counted, all must pass. In a
   * transaction (`db`), a rollback takes the counts back.
   */
  async hitAll(entries: Array<[key: string, rule: RateLimitRule]>, db: Queryable = this.knex): Promise<RateLimitResult> {
    let verdict: RateLimitResult = { allowed: true, count: 0, resetAt: this.clock() };
    for (const result of await this.count(entries, db)) {
      if (!result.allowed && (verdict.allowed || result.resetAt > verdict.resetAt)) verdict = result;
    }
    return verdict;
  }

  /**
   * Counts a hit on every key in one statement (a sign-in counts two: one round trip and one
   * commit instead of two). Keys are sorted, so two requests counting the same keys lock their
   * rows in the same order and never deadlock; a key given twice is counted once.
   */
  private async count(entries: Array<[key: string, rule: RateLimitRule]>, db: Queryable = this.knex): Promise<RateLimitResult[]> {
    const rules = new Map(entries);
    if (!rules.size) return [];
    const keys = [...rules.keys()].sort();
    const now = this.clock();
    const counted = await this.store.countHits(
      db,
      keys.map((key) => ({ key, windowMs: rules.get(key)!.windowMs })),
      now,
    );
    return entries.map(([key, rule]) => {
      const { count, expiresAt } = counted.get(key)!;
      return { allowed: count <= rule.limit, count, resetAt: expiresAt };
    });
  }

  async reset(key: string): Promise<void> {
    await this.store.delete(this.knex, key);
  }

  async pruneExpired(): Promise<number> {
    return this.store.deleteExpired(this.knex, this.clock());
  }
}
