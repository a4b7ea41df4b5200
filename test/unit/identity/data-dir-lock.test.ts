import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError, type DataDirLock } from '../../../src/db/data-dir-lock.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dirs: string[] = [];
const locks: DataDirLock[] = [];

function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-lock-'));
  dirs.push(dir);
  return dir;
}
function acquire(dir: string) {
  const lock = acquireDataDirLock(dir);
  locks.push(lock);
  return lock;
}
const lockFile = (dir: string) => path.join(dir, 'gatehouse.lock');

afterEach(() => {
  for (const lock of locks.splice(0)) lock.release();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Tries to take the lock from another process; resolves to what it printed and its exit code. */
function acquireInChild(dir: string): Promise<{ code: number | null; output: string }> {
  const script =
    "import { acquireDataDirLock } from './src/db/data-dir-lock.ts';" +
    'try { acquireDataDirLock(process.argv[1]); console.log("acquired"); }' +
    ' catch (err) { console.log(`${err.name}: ${err.message}`); process.exitCode = 3; }';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { cwd: root });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: output.trim() }));
  });
}

// Lives with the identity tests because a second process on one PGlite folder loses writes.
describe('data folder lock', () => {
  it('writes our pid into the lock file and removes it on release', () => {
    const dir = tempDir();
    const lock = acquire(dir);
    expect(fs.readFileSync(lockFile(dir), 'utf8')).toBe(String(process.pid));
    lock.release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
    lock.release(); // twice is harmless
    acquire(dir);
  });

  it('refuses a second process while the first holds the lock, with a message that says what to do', async () => {
    const dir = tempDir();
    acquire(dir);
    const child = await acquireInChild(dir);
    expect(child.code).toBe(3);
    expect(child.output).toBe(
      `DataDirLockedError: another Gatehouse (process ${process.pid}) is using ${dir}. Stop it first, ` +
        'or set DATA_DIR to another folder, or DATABASE_URL to use a Postgres server.',
    );
  }, 60_000);

  it('refuses a second acquire in the same process too', () => {
    const dir = tempDir();
    acquire(dir);
    expect(() => acquireDataDirLock(dir)).toThrow(DataDirLockedError);
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', '']);
    expect(dead.status).toBe(0);
    fs.writeFileSync(lockFile(dir), String(dead.pid));
    acquire(dir);
    expect(fs.readFileSync(lockFile(dir), 'utf8')).toBe(String(process.pid));
  });

  it('takes over a lock file that holds no pid', () => {
    const dir = tempDir();
    fs.writeFileSync(lockFile(dir), 'not a pid');
    acquire(dir);
    expect(fs.readFileSync(lockFile(dir), 'utf8')).toBe(String(process.pid));
  });

  it('lets the child take the lock once the parent has released it', async () => {
    const dir = tempDir();
    acquire(dir).release();
    expect(await acquireInChild(dir)).toEqual({ code: 0, output: 'acquired' });
  }, 60_000);

  it('does not remove a lock that another process has taken since', () => {
    const dir = tempDir();
    const lock = acquire(dir);
    fs.writeFileSync(lockFile(dir), '999999');
    lock.release();
    expect(fs.readFileSync(lockFile(dir), 'utf8')).toBe('999999');
  });
});
