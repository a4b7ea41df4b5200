import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands, runAdmin } from '../../../src/cli/run.js';
import type { CliIo } from '../../../src/cli/io.js';
import { acquireDataDirLock } from '../../../src/db/data-dir-lock.js';
import { openCliDatabase, runAdminCli, type CliDatabase, type CliRun } from '../../helpers/admin-cli.js';

/**
 * What the admin CLI tells the person at the terminal (issue 10 item 10): what to do when the
 * app holds the embedded database, which database a change goes to, passwords never taught on
 * the command line, and progress only on a terminal.
 */

const root = path.resolve(import.meta.dirname, '../../..');
let cli: CliDatabase;

beforeAll(async () => {
  cli = await openCliDatabase('gatehouse-cli-console-');
});
afterAll(() => cli.dispose());

function inProcessIo(env: Record<string, string>, stderrIsTty: boolean) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env,
    stdin: Object.assign(Readable.from([]), { isTTY: true }),
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    stderrIsTty,
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

describe('the admin CLI at the console', { timeout: 180_000 }, () => {
  it('never shows --password in its help or usage, only stdin and ADMIN_PASSWORD', async () => {
    const runs = await Promise.all([
      runAdminCli(['help'], { env: cli.env }),
      ...commands.map((c) => runAdminCli([c.name, '--help'], { env: cli.env })),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(/--password(?!-stdin)/);
    }
    expect(runs[0].stdout).toContain("ADMIN_PASSWORD='a long admin passphrase' npm run admin -- seed");
    expect(runs[0].stdout).toMatch(/\| npm run admin -- create-user .*--password-stdin/);
    expect(runs[0].stdout).toMatch(/stop the\s+app while you run a command/);
  });

  it('says to stop the app first, or use a Postgres server, when the app holds the embedded database', async (context) => {
    if (cli.env.DATABASE_URL) context.skip(); // a Postgres server has no folder to lock
    // This process plays the running app: it holds the folder's lock.
    const lock = acquireDataDirLock(cli.dataDir);
    try {
      const { io, out, err } = inProcessIo(cli.env, false);
      expect(await runAdmin(['list-users'], io)).toBe(1);
      expect(out()).toBe('');
      expect(err()).toMatch(/^error: another Gatehouse \(process \d+\) is using [^\n]+\n$/);
      expect(err()).toContain(`is using ${cli.dataDir}`);
      expect(err()).toMatch(/Stop the app first .*kill \d+.*, run this command, then start the app again/);
      expect(err()).toMatch(/use a Postgres server for both \(DATABASE_URL\)/);
      expect(err()).not.toContain('set DATA_DIR to another folder');
    } finally {
      lock.release();
    }
  });

  it('on a terminal, says it is opening the database and then clears that line', async () => {
    const { io, out, err } = inProcessIo(cli.env, true);
    expect(await runAdmin(['list-users'], io)).toBe(0);
    expect(out()).toBe('0 users\n');
    const label = cli.env.DATABASE_URL
      ? /opening the database \(Postgres server [^)@]+\)…/
      : `opening the database (embedded PGlite at ${cli.dataDir})…`;
    expect(err()).toMatch(label);
    expect(err().endsWith('\r\x1b[K')).toBe(true);
  });

  it('without DATA_DIR, warns which embedded folder a change is about to go to, and only before a change', async () => {
    // Its own empty working folder, so the default ./.data is a new folder, not this checkout's.
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-cwd-'));
    try {
      const change = await runAdminIn(cwd, ['add-role', '--email', 'nobody@example.com', '--role', 'Admin']);
      const [warning, error] = change.stderr.split('\n');
      expect(warning).toBe(
        `warning: DATA_DIR is not set: add-role changes the embedded database in ./.data (${fs.realpathSync(cwd)}/.data). ` +
          'Set DATA_DIR or DATABASE_URL to choose the database.',
      );
      expect(error).toBe('error: no user with email nobody@example.com');
      expect(change.code).toBe(1);

      const read = await runAdminIn(cwd, ['list-users']);
      expect(read).toMatchObject({ code: 0, stdout: '0 users\n', stderr: '' });
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});

/** The CLI run from another working folder, with neither DATA_DIR nor DATABASE_URL set. */
function runAdminIn(cwd: string, args: string[]): Promise<CliRun> {
  const env: Record<string, string> = { ...cli.env, DATABASE_URL: '' };
  delete env.DATA_DIR;
  const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, path.join(root, 'src/cli/admin.ts'), ...args], { cwd, env, timeout: 150_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}
