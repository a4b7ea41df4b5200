import fs from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { ProbeReport } from './probe.js';

export type AppName = 'baseline' | 'gatehouse' | 'betterAuth';

/**
 * Builds what the apps under test run: `npm run build` (Gatehouse's production build, as
 * `npm start` runs it) and bench/tsconfig.json (the baseline, the Better Auth app and the probe,
 * into dist/bench/). No app is started under tsx: a loader in one process and not in another
 * would make their memory and CPU incomparable.
 */
export function buildApps(): void {
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  execFileSync('npx', ['tsc', '-p', 'bench/tsconfig.json'], { stdio: 'inherit' });
}

/** An app under test: its own process, event loop and memory, with the probe preloaded. */
export interface AppUnderTest {
  name: AppName;
  url: string;
  /** The Postgres database it works in (its backends' CPU is counted as its own). */
  database: string;
  pid: number;
  /** Starts a measurement window in the app (and a CPU profile of it, to be written to `profile`). */
  resetProbe(profile?: string): Promise<void>;
  /** What the app saw of itself since the last reset. */
  readProbe(profile?: string): Promise<ProbeReport>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) => reject(new Error(`app exited (${code}) before answering ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function waitUntilListening(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the app exited with code ${child.exitCode}`);
    try {
      await fetch(`${url}/account/login`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`${url}: the app did not start within ${timeoutMs / 1000} s`);
}

export interface StartOptions {
  name: AppName;
  /** Compiled JavaScript, from buildApps(). */
  entry: string;
  database: string;
  env: Record<string, string>;
  port: number;
  /** Node.js flags the app is started with (Gatehouse: those of `npm start`). */
  nodeArgs?: string[];
}

/** The Node.js flags in package.json's `start` script, so the bench runs Gatehouse as `npm start` does. */
export function npmStartNodeArgs(): string[] {
  const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

export async function startApp(options: StartOptions): Promise<AppUnderTest> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', './dist/bench/probe.js', options.entry], {
    env: { ...process.env, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilListening(url, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    name: options.name,
    url,
    database: options.database,
    pid: child.pid!,
    async resetProbe(profile) {
      const done = nextMessage(child, 'reset-done');
      child.send({ type: 'reset', profile });
      await done;
    },
    async readProbe(profile) {
      const report = nextMessage<ProbeReport>(child, 'report');
      child.send({ type: 'report', profile });
      return report;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}
