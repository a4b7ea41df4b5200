import type { Knex } from 'knex';
import * as initial from '../../migrations/0001-initial.js';
import * as outboxExpiryLockoutSeries from '../../migrations/0002-outbox-expiry-lockout-series.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

// Listed in code rather than read from a folder, so migrations run the same under tsx,
// vitest and a compiled build, with no file-name globbing. They live in the top-level
// migrations/ folder, beside src/.
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-outbox-expiry-lockout-series': outboxExpiryLockoutSeries,
};

/** Every migration, in the order they run (tests check that each ran exactly once). */
export const migrationNames: readonly string[] = Object.keys(migrations);

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** pg_advisory_xact_lock key for "Gatehouse is migrating this database" ('Gate' in ASCII). */
const MIGRATION_LOCK_KEY = 0x47617465;

/**
 * Runs `fn` while holding a Postgres advisory lock, so only one instance at a time migrates.
 * knex's own lock cannot do this alone on a brand-new database: its lock table does not exist
 * yet, and instances that create it together can each insert a lock row (knex checks, then
 * inserts). With two rows knex can never take its lock again ("Migration table is already
 * locked", on every later start too), and creating knex_migrations together can fail with
 * "type already exists". The advisory lock is held by a transaction on one pooled connection
 * while knex migrates on another; it ends with that transaction, or with the connection if
 * the process dies. PGlite (one connection, one process per data folder) needs none.
 */
async function withMigrationLock(knex: Knex, fn: () => Promise<void>): Promise<void> {
  if ('pglite' in knex.client) return fn();
  await knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    // A database that two instances started on before this lock existed may hold two lock
    // rows; keep the first, so knex can take its lock again. Committed at once (outside the
    // transaction): knex reads that table on its own connection.
    if (await knex.schema.hasTable('knex_migrations_lock')) {
      await knex('knex_migrations_lock').whereNot('index', knex('knex_migrations_lock').min('index')).delete();
    }
    await fn();
  });
}

/**
 * Brings the schema up to date. Several instances may start at once against one server: one
 * migrates while the others wait on the advisory lock, then find nothing left to do. Should
 * knex's lock or tables still be contended (an older version starting beside this one), the
 * attempt is retried until done.
 */
export async function migrateToLatest(knex: Knex, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withMigrationLock(knex, () => knex.migrate.latest({ migrationSource: source }));
      return;
    } catch (err) {
      const e = err as { name?: string; code?: string };
      const contended = e.name === 'MigrationLocked' || ['23505', '42P07', '42710', '40P01'].includes(e.code ?? '');
      if (!contended || Date.now() > deadline) throw err;
      await sleep(100 + Math.random() * 200);
    }
  }
}
