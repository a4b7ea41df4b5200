import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/db/database.js';
import { openTestDatabase, type TestDatabase } from '../../helpers/test-databases.js';

/**
 * On Postgres every statement runs as a named prepared statement (src/db/database.ts). When a
 * newer instance's migration alters a table, Postgres refuses the old prepared plans ("cached
 * plan must not change result type"). These tests alter a table under a running pool, as a
 * rolling upgrade would. On PGlite nothing is prepared; the same expectations hold.
 */
let testDb: TestDatabase;
let app: Database;
const migrator = () => testDb.db.knex;

beforeAll(async () => {
  testDb = await openTestDatabase({ template: inject('pgTemplate'), snapshot: inject('pgliteSnapshot') });
  // One connection, so the statements below surely meet the plans prepared before the change.
  app = testDb.url ? await openDatabase({ databaseUrl: testDb.url, poolMax: 1 }) : testDb.db;
  await migrator().schema.createTable('plan_change', (t) => t.integer('id'));
  await migrator()('plan_change').insert({ id: 1 });
});
afterAll(async () => {
  if (app !== testDb.db) await app.close();
  await testDb.dispose();
});

describe('statements prepared before a migration altered their table', () => {
  it('still run, with the new columns, when they run on their own', async () => {
    expect(await app.knex('plan_change').select('*')).toEqual([{ id: 1 }]);
    expect(await app.rows('select * from plan_change', [])).toEqual([{ id: 1 }]);
    await migrator().schema.alterTable('plan_change', (t) => t.text('note'));
    expect(await app.knex('plan_change').select('*')).toEqual([{ id: 1, note: null }]);
    expect(await app.rows('select * from plan_change', [])).toEqual([{ id: 1, note: null }]);
  });

  it('fail the transaction they are in, and the next statement gets a fresh connection', async () => {
    expect(await app.knex('plan_change').select('*')).toEqual([{ id: 1, note: null }]);
    await migrator().schema.alterTable('plan_change', (t) => t.text('more'));
    const inTransaction = app.knex.transaction((trx) => trx('plan_change').select('*'));
    if (app.kind === 'postgres') await expect(inTransaction).rejects.toThrow(/cached plan must not change result type/);
    else await expect(inTransaction).resolves.toEqual([{ id: 1, note: null, more: null }]);
    expect(await app.knex('plan_change').select('*')).toEqual([{ id: 1, note: null, more: null }]);
  });
});
