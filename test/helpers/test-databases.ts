import fs from 'node:fs';
import crypto from 'node:crypto';
import knex from 'knex';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/** The server URL tests run against, or undefined for PGlite. */
export const serverUrl = () => process.env.DATABASE_URL || undefined;

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function onAdmin<T>(url: string, fn: (db: knex.Knex) => Promise<T>): Promise<T> {
  const admin = knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    return await fn(admin);
  } finally {
    await admin.destroy();
  }
}

/** Postgres: a migrated template database, copied for each test file (fast, isolated). */
export async function createTemplateDatabase(url: string): Promise<string> {
  const name = `gatehouse_tpl_${process.pid}_${Date.now()}`;
  await onAdmin(url, (db) => db.raw(`CREATE DATABASE "${name}"`));
  const tpl = await openDatabase({ databaseUrl: withDatabaseName(url, name), poolMax: 2 });
  await migrateToLatest(tpl.knex);
  await tpl.close();
  return name;
}

export async function dropDatabase(url: string, name: string): Promise<void> {
  await onAdmin(url, (db) => db.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** PGlite: a migrated database dumped to a file, loaded by each test file in about 0.6 s. */
export async function createPGliteSnapshot(file: string): Promise<void> {
  const db = await openDatabase({ dataDir: 'memory://' });
  await migrateToLatest(db.knex);
  const blob = await db.pglite!.dumpDataDir('gzip');
  fs.writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  await db.close();
}

export interface TestDatabase {
  db: Database;
  /** The URL of this file's own database on the server (undefined on PGlite). */
  url?: string;
  dispose(): Promise<void>;
}

/** A clean, migrated database for one test file. */
export async function openTestDatabase(source: { template?: string; snapshot?: string }): Promise<TestDatabase> {
  const url = serverUrl();
  if (url && source.template) {
    const name = `gatehouse_t_${crypto.randomBytes(6).toString('hex')}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await onAdmin(url, (db) => db.raw(`CREATE DATABASE "${name}" TEMPLATE "${source.template}"`));
        break;
      } catch (err) {
        // Two files copying the template at the same instant can collide; try again.
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
      }
    }
    const fileUrl = withDatabaseName(url, name);
    const db = await openDatabase({ databaseUrl: fileUrl });
    return {
      db,
      url: fileUrl,
      async dispose() {
        await db.close();
        await dropDatabase(url, name);
      },
    };
  }
  const snapshot = new Blob([fs.readFileSync(source.snapshot!)]);
  const db = await openDatabase({ dataDir: 'memory://', loadDataDir: snapshot });
  return { db, dispose: () => db.close() };
}
