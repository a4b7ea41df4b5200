import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import knex, { type Knex } from 'knex';

const run = promisify(execFile);

/**
 * A throwaway Postgres cluster of our own, in a temp folder on a free port, for tests that stop,
 * freeze or restart the database server. It is never the machine's shared server on 5432.
 */
export interface PrivatePostgres {
  port: number;
  /** A URL for one database on this cluster (TCP on 127.0.0.1). */
  url(database?: string): string;
  createDatabase(name: string): Promise<void>;
  /** A short-lived admin connection to the cluster. */
  query<T>(database: string, fn: (db: Knex) => Promise<T>): Promise<T>;
  start(): Promise<void>;
  /** `immediate` is a crash as far as clients are concerned; `fast` ends sessions politely. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /**
   * SIGSTOP to the server and its backends: connections stay open and TCP still connects, but
   * nothing answers, as behind a network partition. `thaw` sends SIGCONT.
   */
  freeze(): void;
  thaw(): void;
  /** Stops the server if it runs and deletes the folder. */
  destroy(): Promise<void>;
  log(): string;
}

/** The newest installed server binaries (Debian layout), or PG_BIN. */
export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0)
    throw new Error('no Postgres server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql), nor PG_BIN');
  versions.sort((a, b) => Number(b) - Number(a));
  return path.join(root, versions[0], 'bin');
}

/** A port nobody listens on right now (the kernel picks it; we close it at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// initdb and postgres refuse to run as root: as root we run them as the postgres user.
const asRoot = process.getuid?.() === 0;
const command = (bin: string, args: string[]): [string, string[]] =>
  asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];

export async function createPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  const pgCtl = (args: string[]) => run(...command(path.join(bin, 'pg_ctl'), args));
  let running = false;
  let port = 0;

  // Never leave a server behind, even when the test process dies without its afterAll.
  const stopOnExit = () => {
    if (!running) return;
    try {
      signalServer('SIGCONT');
      execFileSync(...command(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']), { stdio: 'ignore' });
    } catch {
      // already stopped
    }
  };
  process.on('exit', stopOnExit);

  // fsync off: the tests crash clients and the server process, never the machine.
  await run(
    ...command(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']),
  );

  const startOn = (p: number) =>
    pgCtl([
      '-D',
      dataDir,
      '-l',
      logFile,
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${p} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`,
      'start',
    ]);

  const cluster: PrivatePostgres = {
    get port() {
      return port;
    },
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      await cluster.query('postgres', (db) => db.raw(`CREATE DATABASE "${name}"`));
    },
    async query(database, fn) {
      const db = knex({ client: 'pg', connection: cluster.url(database), pool: { min: 0, max: 1 } });
      try {
        return await fn(db);
      } finally {
        await db.destroy();
      }
    },
    async start() {
      await startOn(port);
      running = true;
    },
    async stop(mode = 'fast') {
      await pgCtl(['-D', dataDir, '-m', mode, '-w', 'stop']);
      running = false;
    },
    async destroy() {
      if (running) {
        // A frozen server would never act on the stop request.
        try {
          signalServer('SIGCONT');
        } catch {
          // not running after all
        }
        await cluster.stop('immediate').catch(() => undefined);
      }
      process.off('exit', stopOnExit);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    freeze: () => signalServer('SIGSTOP'),
    thaw: () => signalServer('SIGCONT'),
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
  };

  function signalServer(signal: NodeJS.Signals) {
    const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    for (const pid of [postmaster, ...children]) process.kill(pid, signal);
  }

  // Another test file may take the free port before the server binds it: try another one.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await cluster.start();
      return cluster;
    } catch (err) {
      if (attempt >= 3) {
        await cluster.destroy();
        throw new Error(`private Postgres did not start: ${String(err)}\n${cluster.log()}`, { cause: err });
      }
    }
  }
}
