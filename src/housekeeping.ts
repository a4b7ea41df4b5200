import type { Logger } from 'pino';
import type { Services } from './composition.js';
import type { KnexSessionStore } from './web/session-store.js';

/** One kind of row that can never be used again, and how to delete it; returns rows deleted. */
export type PruneTask = () => Promise<number>;

/**
 * What every instance deletes now and then, so tables hold live state only: sessions that
 * timed out, throttle windows that ended, remembered browsers that expired or belong to an
 * older security stamp (dead for good: stamps never come back), codes and links that
 * expired, and accounts nobody confirmed within UNCONFIRMED_ACCOUNT_DAYS. In the outbox, the
 * code or link of a message is redacted once it expired, and messages that are done are
 * deleted after OUTBOX_RETENTION_DAYS (docs/outbox.md). Every delete and redaction is
 * idempotent, so instances need not take turns.
 */
export function housekeepingTasks(services: Services, sessionStore: KnexSessionStore): Record<string, PruneTask> {
  return {
    sessions: () => sessionStore.pruneExpired(),
    rateLimits: () => services.rateLimiter.pruneExpired(),
    rememberedBrowsers: () => services.rememberedBrowsers.pruneDead(),
    tokens: () => services.tokens.pruneExpired(services.db.knex),
    outboxSecrets: () => services.outbox.redactExpired(),
    outbox: () => services.outbox.pruneDone(),
    unconfirmedAccounts: () => services.users.deleteStaleUnconfirmedAccounts(services.config.unconfirmedAccountMaxAgeMs),
  };
}

export interface Housekeeping {
  /** Runs every task once; a failing task is logged and the others still run. */
  run(): Promise<Record<string, number>>;
  stop(): void;
}

export function startHousekeeping(tasks: Record<string, PruneTask>, logger: Logger, intervalMs = 15 * 60_000): Housekeeping {
  async function run(): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const [name, task] of Object.entries(tasks)) {
      try {
        deleted[name] = await task();
      } catch (err) {
        // The database may be down for a while; the next round tries again.
        logger.warn({ err, task: name }, 'housekeeping task failed');
      }
    }
    logger.debug({ deleted }, 'housekeeping done');
    return deleted;
  }
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { run, stop: () => clearInterval(timer) };
}
