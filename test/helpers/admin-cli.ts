import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { openTestDatabase, serverUrl, type TestDatabase } from './test-databases.js';

const root = path.resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliDatabase {
  /** The environment the CLI (and a server on the same database) runs with. */
  env: Record<string, string>;
  dataDir: string;
  /** This file's database on the Postgres server; undefined on PGlite (the folder `dataDir`). */
  testDb?: TestDatabase;
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated database for the admin CLI, as an operator has one: this file's own
 * database on the Postgres server when DATABASE_URL is set, or else a PGlite folder filled
 * from the migrated snapshot and closed again, so the CLI is its only user while it runs
 * (a folder can be open in one process at a time).
 */
export async function openCliDatabase(prefix: string, extraEnv: Record<string, string> = {}): Promise<CliDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const template = inject('pgTemplate');
  let testDb: TestDatabase | undefined;
  if (serverUrl() && template) {
    testDb = await openTestDatabase({ template });
  } else {
    const snapshot = new Blob([fs.readFileSync(inject('pgliteSnapshot'))]);
    await (await openDatabase({ dataDir, loadDataDir: snapshot })).close();
  }
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: os.tmpdir(),
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    APP_BASE_URL: 'http://gatehouse.test',
    // A developer's own .env must not point the CLI at another database.
    DOTENV_PATH: '/dev/null',
    ...(testDb?.url ? { DATABASE_URL: testDb.url } : {}),
    ...extraEnv,
  };
  return {
    env,
    dataDir,
    testDb,
    async dispose() {
      await testDb?.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `npm run admin -- <args>` as an operator runs it: a child process of its own. */
export function runAdminCli(args: string[], options: { env: Record<string, string>; stdin?: string }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/admin.ts', ...args], {
      cwd: root,
      env: options.env,
      timeout: 100_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {}); // the CLI may exit without reading stdin
    child.stdin.end(options.stdin ?? '');
  });
}
