import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmStart, startAppProcess, type AppProcess } from '../../helpers/app-process.js';
import { ensureCompiledBuild } from '../../helpers/compiled-build.js';
import { descendantsOf, isRunning } from '../../helpers/process-tree.js';

// `npm start` exactly as a user types it (or a process manager runs it), on the embedded
// database: the compiled build in one node process, stopped by a SIGTERM sent to npm itself.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-npm-start-'));
const env = { DATA_DIR: dataDir, DATABASE_URL: '' };
let app: AppProcess | undefined;
let serverPid: number | undefined;

beforeAll(() => ensureCompiledBuild(), 180_000);

afterAll(async () => {
  // Should a test fail, the server may outlive npm (the very bug these tests guard against).
  if (serverPid && isRunning(serverPid)) process.kill(serverPid, 'SIGKILL');
  if (app && app.child.exitCode === null) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Whether anything accepts connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const answer = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => answer(true)).once('error', () => answer(false));
    socket.setTimeout(1_000, () => answer(false));
  });
}

describe('npm start', () => {
  it('serves /health from one node process running the compiled JavaScript, with no tsx loader', async () => {
    app = await startAppProcess(env, 60_000, npmStart);
    expect((await fetch(`${app.baseUrl}/health`)).status).toBe(200);

    serverPid = Number(/"pid":(\d+)[^\n]*Gatehouse listening/.exec(app.output())?.[1]);
    const below = descendantsOf(app.child.pid!);
    // npm execs the server in place of its shell, so a signal npm forwards reaches the server.
    expect(below.map((p) => p.pid)).toEqual([serverPid]);
    const argv = below[0]!.argv;
    expect(argv).toEqual(['node', '--max-semi-space-size=8', 'dist/src/main.js']);
    expect(argv.join(' ')).not.toMatch(/tsx/);
  }, 120_000);

  it('stops, and frees its port, within 5 s of a SIGTERM sent to the npm process', async () => {
    const started = performance.now();
    app!.child.kill('SIGTERM');
    expect(await app!.exited).toBe(0);
    expect(await accepts(app!.port)).toBe(false);
    expect(isRunning(serverPid!)).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(app!.output()).toContain('"msg":"stopped"');
  }, 30_000);
});
