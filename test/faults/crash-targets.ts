import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { inject } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { startAppProcess, type AppProcess } from '../helpers/app-process.js';
import { createPrivatePostgres } from '../helpers/private-postgres.js';
import { serverUrl, withDatabaseName } from '../helpers/test-databases.js';

/** Where a crashed app keeps its data, and how the test reads it afterwards. */
export interface CrashTarget {
  kind: 'postgres' | 'pglite';
  /** Starts the app on this data (again; pass the port it had, so browsers find it there). */
  start(port?: number): Promise<AppProcess>;
  /** Reads the data; on PGlite only while no app process holds the folder. */
  read<T>(fn: (db: Knex) => Promise<T>): Promise<T>;
  dataDir: string;
  dispose(): Promise<void>;
}

const baseEnv = (dataDir: string, port = 0) => ({
  PORT: String(port),
  DATA_DIR: dataDir,
  NODE_ENV: 'test',
  APP_BASE_URL: 'http://gatehouse.test',
  DEMO_MODE: 'true',
  // One client (127.0.0.1) registers every account of a burst: past the default limit per IP.
  REGISTER_ATTEMPTS_PER_IP: '1000',
});

/**
 * A fresh database on the Postgres server of this run (DATABASE_URL), created and dropped here;
 * on a PGlite-only run, a private cluster of our own instead, so the test still runs.
 */
export async function postgresTarget(): Promise<CrashTarget> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-crash-pg-'));
  const name = `gatehouse_faults_${crypto.randomBytes(6).toString('hex')}`;
  const server = serverUrl();
  const cluster = server ? undefined : await createPrivatePostgres();
  const admin = server ?? cluster!.url('postgres');
  const url = withDatabaseName(admin, name);
  const onAdmin = async (sql: string) => {
    const db = knex({ client: 'pg', connection: admin, pool: { min: 0, max: 1 } });
    try {
      await db.raw(sql);
    } finally {
      await db.destroy();
    }
  };
  await onAdmin(`CREATE DATABASE "${name}"`);
  return {
    kind: 'postgres',
    dataDir,
    start: (port) => startAppProcess({ ...baseEnv(dataDir, port), DATABASE_URL: url }),
    async read(fn) {
      const db = await openDatabase({ databaseUrl: url, poolMax: 2 });
      try {
        return await fn(db.knex);
      } finally {
        await db.close();
      }
    },
    async dispose() {
      if (cluster) await cluster.destroy();
      else await onAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The embedded database in a folder of its own, as `npm start` uses it. The folder starts as a
 * copy of the run's migrated snapshot: creating a PGlite cluster on disk takes some 20 s.
 */
export async function pgliteTarget(): Promise<CrashTarget> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-crash-pglite-'));
  const snapshot = inject('pgliteSnapshot');
  if (snapshot) {
    const seeded = await openDatabase({ dataDir, loadDataDir: new Blob([fs.readFileSync(snapshot)]) });
    await seeded.close();
  }
  return {
    kind: 'pglite',
    dataDir,
    start: (port) => startAppProcess({ ...baseEnv(dataDir, port), DATABASE_URL: '' }),
    async read(fn) {
      const db = await openDatabase({ dataDir });
      try {
        return await fn(db.knex);
      } finally {
        await db.close();
      }
    },
    async dispose() {
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The run's own database: the Postgres server when DATABASE_URL is set, else PGlite. */
export const runTarget = () => (serverUrl() ? postgresTarget() : pgliteTarget());

/** kill -9: no signal handler runs, nothing is flushed or closed. */
export async function killHard(app: AppProcess): Promise<void> {
  app.child.kill('SIGKILL');
  await app.exited;
}

/** SIGTERM, expecting the clean exit. */
export async function stopCleanly(app: AppProcess): Promise<number | null> {
  app.child.kill('SIGTERM');
  return app.exited;
}
