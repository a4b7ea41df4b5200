import type { Knex } from 'knex';
import * as initial from './migrations/0001-initial.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

// Listed in code rather than read from a folder, so migrations run the same under tsx,
// vitest and any bundler, with no file-name globbing.
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
};

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Brings the schema up to date. Several instances may start at once against one server:
 * knex's lock table lets one run, and the others wait and retry until it is done (racing on
 * creating knex's own tables shows up as a unique violation, handled the same way).
 */
export async function migrateToLatest(knex: Knex, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await knex.migrate.latest({ migrationSource: source });
      return;
    } catch (err) {
      const e = err as { name?: string; code?: string };
      const contended =
        e.name === 'MigrationLocked' || e.code === '23505' || e.code === '42P07' || e.code === '40P01';
      if (!contended || Date.now() > deadline) throw err;
      await sleep(100 + Math.random() * 200);
    }
  }
}
