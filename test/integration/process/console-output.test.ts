import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppProcess, type AppProcess, type Launch } from '../../helpers/app-process.js';
import { ensureCompiledBuild } from '../../helpers/compiled-build.js';

// What the compiled server (`npm start`'s node dist/src/main.js) writes to its console: JSON
// lines for anything that parses them, one readable line per entry for a person at a terminal.
// Always on the embedded database, whatever DATABASE_URL says.
const root = path.resolve(import.meta.dirname, '../../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-console-'));
const env = { DATA_DIR: dataDir, DATABASE_URL: '' };
const compiled: Launch = { command: process.execPath, args: ['dist/src/main.js'] };
let app: AppProcess | undefined;
let terminal: ChildProcess | undefined;

beforeAll(() => ensureCompiledBuild(), 180_000);

afterAll(async () => {
  for (const child of [app?.child, terminal]) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('the server console', () => {
  it('writes JSON lines when stdout is not a terminal, the start line included', async () => {
    app = await startAppProcess(env, 90_000, compiled);
    expect((await fetch(`${app.baseUrl}/health`)).status).toBe(200);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);

    const lines = app.output().trimEnd().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const start = entries.find((e) => typeof e.msg === 'string' && e.msg.startsWith('Gatehouse listening'))!;
    expect(start).toMatchObject({
      level: 30,
      port: app.port,
      address: '127.0.0.1',
      url: `http://localhost:${app.port}`,
      database: 'pglite',
      databaseAt: `embedded PGlite at ${dataDir}`,
      demoMode: true,
      msg: `Gatehouse listening on http://localhost:${app.port} (embedded PGlite at ${dataDir}, demo mode)`,
    });
    expect(entries.find((e) => (e.req as { url?: string } | undefined)?.url === '/health')).toMatchObject({ res: { statusCode: 200 } });
    expect(entries.at(-1)).toMatchObject({ msg: 'stopped' });
  }, 150_000);

  it.skipIf(!hasScript)(
    'writes one readable line per entry on a terminal (a pseudo-terminal from `script`)',
    async () => {
      terminal = spawn('script', ['-qfec', `exec ${process.execPath} dist/src/main.js`, '/dev/null'], {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', TERM: 'dumb', ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      terminal.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      const exited = new Promise<number | null>((resolve) => terminal!.once('exit', resolve));
      const started = /INFO[^:]*: [^\n]*Gatehouse listening on http:\/\/localhost:(\d+) \(embedded PGlite at ([^,]+), demo mode\)/;
      await expect.poll(() => started.test(out), { timeout: 90_000, interval: 200 }).toBe(true);
      const port = Number(started.exec(out)![1]);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      await expect.poll(() => out, { timeout: 10_000 }).toMatch(/INFO[^:]*: [^\n]*GET \/health 200 \d+ ms/);
      // Ctrl+C, as a person stops it.
      terminal.stdin!.write('\x03');
      await expect.poll(() => out, { timeout: 20_000 }).toMatch(/stopped/);
      expect(await exited).toBe(0);

      const plain = out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
      expect(plain).not.toContain('{"level"');
      const startLine = plain.split(/\r?\n/).find((line) => line.includes('Gatehouse listening'))!;
      // One line, without the fields the message already says.
      expect(startLine).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Gatehouse listening on http:\/\/localhost:\d+ \(embedded PGlite at .+, demo mode\)$/,
      );
    },
    150_000,
  );
});
