import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runAppExpectingExit, startAppProcess, type AppProcess } from '../../helpers/app-process.js';

// Issue 14.1: `npm start` in demo mode serves this machine only. Real processes on the embedded
// database, whatever DATABASE_URL says; HOST is left unset unless a test sets it.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-host-'));
const env = { DATA_DIR: dataDir, DATABASE_URL: '', HOST: undefined };
let app: AppProcess | undefined;

afterEach(async () => {
  if (app && app.child.exitCode === null) {
    app.child.kill('SIGTERM');
    await app.exited;
  }
  app = undefined;
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Resolves true when a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const otherAddresses = () =>
  Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && !a.address.startsWith('fe80'))
    .map((a) => a!.address);

describe('demo mode and the bind address (issue 14.1)', () => {
  it('listens on 127.0.0.1 only by default, and still prints the URL', async () => {
    app = await startAppProcess(env);
    expect(app.output()).toMatch(/Gatehouse listening on http:\/\/localhost:\d+ \(.*demo mode\)/);
    expect(app.output()).toContain('"address":"127.0.0.1"');
    expect(await accepts('127.0.0.1', app.port)).toBe(true);
    // Every address by which another machine could reach this one is closed.
    for (const address of otherAddresses()) expect(await accepts(address, app.port), address).toBe(false);
  }, 90_000);

  it('refuses to start when demo mode would be reachable from another machine, and says what to do', async () => {
    for (const HOST of ['0.0.0.0', '::']) {
      const result = await runAppExpectingExit({ ...env, HOST });
      expect(result.code, HOST).toBe(1);
      expect(result.output).toContain(`HOST: demo mode (no email or SMS provider is set)`);
      expect(result.output).toMatch(/Use HOST=127\.0\.0\.1 .* or set DEMO_MODE=on/);
      expect(result.output).not.toMatch(/\n\s+at /);
      expect(result.output).not.toContain('Gatehouse listening');
    }
  }, 90_000);

  it('starts on all interfaces with DEMO_MODE=on, with a warning in the log and a banner on stderr', async () => {
    app = await startAppProcess({ ...env, HOST: '0.0.0.0', DEMO_MODE: 'on' });
    // The warning follows the "listening" line that startAppProcess waits for.
    await expect.poll(() => app!.output(), { timeout: 10_000 }).toContain('"level":40');
    await expect.poll(() => app!.output(), { timeout: 10_000 }).toContain('!! WARNING');
    const output = app.output();
    expect(output).toContain('"address":"0.0.0.0"');
    const warnLine = output.split('\n').find((line) => line.includes('"level":40'));
    expect(warnLine).toMatch(/anyone who can reach it can take any account/);
    expect(output).toMatch(/!!!!!!!!\n!! WARNING: demo mode is reachable from other machines on 0\.0\.0\.0:\d+/);
    expect(await accepts('127.0.0.1', app.port)).toBe(true);
  }, 90_000);

  it('refuses DEMO_MODE=on in production, naming the variable', async () => {
    const result = await runAppExpectingExit({
      ...env,
      NODE_ENV: 'production',
      DEMO_MODE: 'on',
      SESSION_SECRET: 'production-secret-production-secret-0123',
      APP_BASE_URL: 'https://gatehouse.example',
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/DEMO_MODE: demo mode .*never allowed when NODE_ENV=production/);
  }, 90_000);
});
