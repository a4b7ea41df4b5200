import fs from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';

// Return timestamps as JS Dates and bigints (count(*)) as numbers on the pg driver, so the
// store sees the same types on both databases.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface Database {
  knex: Knex;
  kind: 'postgres' | 'pglite';
  /** The embedded instance, when kind is 'pglite' (for snapshots). */
  pglite?: PGlite;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** PGlite folder; 'memory://' for a throwaway in-memory database. */
  dataDir?: string;
  /** A PGlite snapshot (from `dumpDataDir`) to start from: a migrated database in ~0.6 s. */
  loadDataDir?: Blob;
  poolMax?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const db = knex({
      client: 'pg',
      connection: options.databaseUrl,
      pool: { min: 0, max: options.poolMax ?? 10 },
      acquireConnectionTimeout: 10_000,
    });
    return { knex: db, kind: 'postgres', close: () => db.destroy() };
  }
  return openPGlite(options.dataDir ?? 'memory://', options.loadDataDir);
}

async function openPGlite(dataDir: string, loadDataDir?: Blob): Promise<Database> {
  let lock: DataDirLock | undefined;
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) {
    fs.mkdirSync(dataDir, { recursive: true });
    // PGlite has no locking of its own: a second process on the same folder loses writes.
    lock = acquireDataDirLock(dataDir);
  }
  try {
    // Loaded only when used: the two PGlite modules alone add about 90 MiB to the resident
    // memory of a server that runs on Postgres (bench/RESULTS.md).
    const [{ PGlite }, { citext }, { default: ClientPGLite }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/citext'),
      import('knex-pglite'),
    ]);
    const pglite = await PGlite.create(inMemory ? 'memory://' : path.resolve(dataDir, 'pgdata'), {
      extensions: { citext },
      loadDataDir,
    });
    const db = knex({ client: ClientPGLite, connection: () => ({ pglite }) } as Knex.Config);
    return {
      knex: db,
      kind: 'pglite',
      pglite,
      async close() {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
        lock?.release();
      },
    };
  } catch (err) {
    lock?.release();
    throw err;
  }
}
