import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Logger } from 'pino';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';

// Return timestamps as JS Dates and bigints (count(*)) as numbers on the pg driver, so the
// store sees the same types on both databases.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * knex-pglite 0.14 labels each result with the knex method upper-cased, so a delete comes back
 * as 'DEL' where knex's Postgres dialect expects 'DELETE'; knex then handed back the raw driver
 * result instead of the number of rows deleted (so `UserStore.delete` always said false).
 */
interface KnexResponseProcessor {
  processResponse(obj: { method?: string }, runner: unknown): unknown;
}
function withDeleteCounts(ClientPGLite: unknown) {
  // knex's typings leave `processResponse` out, though every dialect implements it.
  const PGliteBase = ClientPGLite as new (config: Knex.Config) => KnexResponseProcessor;
  return class PGliteClient extends PGliteBase {
    override processResponse(obj: { method?: string }, runner: unknown) {
      return super.processResponse(obj.method === 'del' ? { ...obj, method: 'delete' } : obj, runner);
    }
  };
}

/** Runs one statement (`?` placeholders) and returns its rows. */
export type RowsQuery = (sql: string, bindings: readonly unknown[]) => Promise<Record<string, unknown>[]>;

export interface Database {
  knex: Knex;
  kind: 'postgres' | 'pglite';
  /**
   * For the one query on every signed-in request: straight to a pooled connection on
   * Postgres, skipping knex's query runner (a tenth of that request's allocations); through
   * knex on PGlite, whose single connection knex must keep serialising.
   */
  rows: RowsQuery;
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
  /** Where knex's own warnings go; without it knex prints them, stack and all, on stdout. */
  logger?: Pick<Logger, 'warn' | 'error' | 'debug'>;
}

function knexLog(logger: DatabaseOptions['logger']): Knex.Config['log'] {
  if (!logger) return undefined;
  return {
    // An error goes under `err`, so the logger's error serializer keeps its values out.
    warn: (message: unknown) => logger.warn(message instanceof Error ? { err: message } : { knex: message }, 'database warning'),
    deprecate: (message: unknown) => logger.warn({ knex: message }, 'database deprecation'),
    error: (message: unknown) => logger.error(message instanceof Error ? { err: message } : { knex: message }, 'database error'),
    debug: (message: unknown) => logger.debug({ knex: message }, 'database debug'),
  };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const { knex: db, rows } = openPostgres(options.databaseUrl, options.poolMax ?? 10, knexLog(options.logger));
    return { knex: db, kind: 'postgres', rows, close: () => db.destroy() };
  }
  return openPGlite(options.dataDir ?? 'memory://', options.loadDataDir, knexLog(options.logger));
}

/**
 * Postgres plans every unnamed statement again each time it runs; for the query behind every
 * signed-in page (session, user and login count) planning was three quarters of its cost
 * (pgbench: 0.20 ms unnamed, 0.06 ms prepared). So each single statement of ours is sent as a
 * named prepared statement, named after its text: parsed and planned once per connection.
 * knex builds its SQL with placeholders, so the set of texts stays small; past a cap (a
 * safeguard against unbounded texts) statements go unnamed as before.
 */
const MAX_NAMED_STATEMENTS = 2_000;
const statementNames = new Map<string, string>();
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name) return name;
  // One statement only: Postgres cannot prepare several, and DDL is not worth it.
  if (!PREPARABLE.test(text) || text.replace(/;\s*$/, '').includes(';')) return undefined;
  if (statementNames.size >= MAX_NAMED_STATEMENTS) return undefined;
  name = `s_${crypto.hash('sha256', text, 'base64url').slice(0, 24)}`;
  statementNames.set(text, name);
  return name;
}

/** Postgres refuses a prepared statement whose result columns changed (a migration altered a table). */
const isStalePlan = (err: unknown) =>
  (err as { code?: string })?.code === '0A000' && /cached plan must not change result type/.test(String((err as Error).message));

type QueryCallback = (err: Error | null, result?: unknown) => void;

/**
 * Sends each statement as a named prepared statement (see above). After a migration from a
 * newer instance altered a table, this connection's prepared plans for it are stale: the
 * connection is retired (never handed out again), and a statement that ran on its own, outside
 * a transaction, is sent again unnamed, so the request never sees the error. Inside a
 * transaction the error stands (the transaction is already aborted) and the caller's rollback
 * and error page follow.
 */
function prepareStatements(connection: pg.Client, retire: (connection: pg.Client) => void): void {
  const query = connection.query.bind(connection) as (...args: unknown[]) => unknown;
  connection.query = ((config: unknown, ...rest: unknown[]) => {
    const name =
      config && typeof config === 'object' && 'text' in config && !('name' in config) ? statementName(String(config.text)) : undefined;
    if (!name) return query(config, ...rest);
    // The status after the previous statement: 'I' means this one runs in no transaction.
    const onItsOwn = connection.getTransactionStatus() === 'I';
    const named = { ...(config as object), name };
    const callback = rest.find((arg) => typeof arg === 'function') as QueryCallback | undefined;
    if (callback) {
      return query(named, (err: Error | null, result?: unknown) => {
        if (!err || !isStalePlan(err)) return callback(err, result);
        retire(connection);
        if (!onItsOwn) return callback(err);
        query(config, callback);
      });
    }
    return (query(named) as Promise<unknown>).catch((err: unknown) => {
      if (!isStalePlan(err)) throw err;
      retire(connection);
      if (!onItsOwn) throw err;
      return query(config);
    });
  }) as typeof connection.query;
}

/** Longer than any query of ours takes, short enough that a page answers 503 instead of hanging. */
const QUERY_TIMEOUT_MS = 10_000;

/**
 * A server that stops answering (a network partition, a frozen host) must not hold requests
 * forever: connecting and every query give up after a bound, and the page says 503. A
 * connection whose query timed out is closed, never reused: the server may still be running
 * that query inside a transaction, and the next request must not land in it.
 */
type Connection = pg.Client & { __knexUid: string };

function openPostgres(url: string, poolMax: number, log?: Knex.Config['log']): { knex: Knex; rows: RowsQuery } {
  const open = new Map<string, Connection>();
  /** Connections never to be handed out again: a query timed out, or their plans went stale. */
  const retired = new WeakSet<Connection>();
  const db = knex({
    client: 'pg',
    connection: { connectionString: url, connectionTimeoutMillis: QUERY_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS },
    pool: {
      min: 0,
      max: poolMax,
      afterCreate(connection: Connection, done: (err: Error | null, connection: Connection) => void) {
        open.set(connection.__knexUid, connection);
        prepareStatements(connection, (c) => retired.add(c as Connection));
        connection.once('end', () => open.delete(connection.__knexUid));
        done(null, connection);
      },
      validate: (connection: Connection) => !retired.has(connection),
    },
    acquireConnectionTimeout: 10_000,
    // knex would inline the bindings of a failed statement in its message, and so in the log.
    compileSqlOnError: false,
    log,
  });
  const disposeIfTimedOut = (err: Error, connection: Connection | undefined) => {
    if (!connection || !/Query read timeout$/.test(err.message)) return;
    // Never handed out again; pg's end() drops the socket of a connection whose query is
    // still out, and the server rolls back whatever it had open.
    retired.add(connection);
    void connection.end().catch(() => undefined);
  };
  db.on('query-error', (err: Error, query: { __knexUid?: string }) => disposeIfTimedOut(err, open.get(query.__knexUid ?? '')));

  return { knex: db, rows: createRowsQuery(db, disposeIfTimedOut) };
}

/** Plain queries on a pooled connection, past knex's builder (the per-request session read). */
function createRowsQuery(db: Knex, disposeIfTimedOut: (err: Error, connection: Connection) => void): RowsQuery {
  const numbered = new Map<string, string>();
  return async (sql, bindings) => {
    let text = numbered.get(sql);
    if (!text) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      numbered.set(sql, text);
    }
    const connection = (await db.client.acquireConnection()) as Connection;
    try {
      return (await connection.query({ text, values: bindings as unknown[] })).rows;
    } catch (err) {
      disposeIfTimedOut(err as Error, connection);
      throw err;
    } finally {
      db.client.releaseConnection(connection);
    }
  };
}

async function openPGlite(dataDir: string, loadDataDir?: Blob, log?: Knex.Config['log']): Promise<Database> {
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
    const db = knex({
      client: withDeleteCounts(ClientPGLite) as unknown as typeof ClientPGLite,
      connection: () => ({ pglite }),
      compileSqlOnError: false,
      log,
    } as Knex.Config);
    return {
      knex: db,
      kind: 'pglite',
      rows: async (sql, bindings) => (await db.raw(sql, bindings as Knex.RawBinding[])).rows,
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
