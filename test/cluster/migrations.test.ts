import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest, migrationNames } from '../../src/db/migrate.js';
import { createClusterDatabase, type ClusterDatabase } from '../helpers/cluster.js';

/**
 * The start-up migrations of several instances at once, as `createServices` runs them, but
 * from connection pools in this process: the race is then within milliseconds every time,
 * where two process starts rarely line up that closely (two-instances.test.ts starts two
 * real processes at once as well).
 */

const ROUNDS = 6;
const INSTANCES = 4;
const quiet = { warn: () => undefined, error: () => undefined, debug: () => undefined };
const leftovers: Array<ClusterDatabase | Database> = [];

afterAll(async () => {
  for (const item of leftovers.reverse()) await ('drop' in item ? item.drop() : item.close()).catch(() => undefined);
});

describe('start-up migrations from several instances at once', () => {
  it(`bring a brand-new database up to date exactly once, ${ROUNDS} times out of ${ROUNDS}`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const db = await createClusterDatabase();
      leftovers.push(db);
      const pools = await Promise.all(Array.from({ length: INSTANCES }, () => openDatabase({ databaseUrl: db.url, logger: quiet })));
      leftovers.push(...pools);
      const results = await Promise.allSettled(pools.map((pool) => migrateToLatest(pool.knex, 15_000)));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
      expect(failures, `round ${round + 1}`).toEqual([]);
      expect(await db.knex('knex_migrations').select('name', 'batch').orderBy('id')).toEqual(
        migrationNames.map((name) => ({ name, batch: 1 })),
      );
      expect(await db.knex('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
      // The schema is usable from every instance.
      for (const pool of pools) expect(await pool.knex('users').count('* as n')).toEqual([{ n: 0 }]);
      for (const pool of pools) await pool.close();
      await db.drop();
      leftovers.length = 0;
    }
  }, 180_000);
});

describe('a database left with two knex lock rows (instances that raced before the advisory lock)', () => {
  it('is repaired at the next start instead of failing with "Migration table is already locked"', async () => {
    const db = await createClusterDatabase();
    leftovers.push(db);
    const pool = await openDatabase({ databaseUrl: db.url, logger: quiet });
    leftovers.push(pool);
    await migrateToLatest(pool.knex);
    await db.knex('knex_migrations_lock').insert({ is_locked: 0 });
    // knex takes its lock even with nothing to run: with two rows it never could.
    await migrateToLatest(pool.knex, 5_000);
    expect(await db.knex('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
    expect(await db.knex('knex_migrations').select('name').orderBy('id')).toEqual(migrationNames.map((name) => ({ name })));
    await pool.close();
    await db.drop();
    leftovers.length = 0;
  }, 60_000);
});
