import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export interface AppProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** A command that starts the server. */
export interface Launch {
  command: string;
  args: string[];
}

/** The sources under tsx (`npm run dev`): what most process tests run, with no build needed. */
export const tsxMain: Launch = { command: process.execPath, args: ['--import', 'tsx', 'src/main.ts'] };

/** `npm start` itself: the compiled build (dist/), launched by npm as a user or a process manager would. */
export const npmStart: Launch = { command: 'npm', args: ['start'] };

/** Starts the server as a real process (`src/main.ts` under tsx unless told) and waits until it listens. */
export async function startAppProcess(
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
  launch: Launch = tsxMain,
): Promise<AppProcess> {
  const child = spawn(launch.command, launch.args, {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /"port":(\d+)/.exec(out);
      if (m && out.includes('Gatehouse listening')) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`app exited before listening:\n${out}`));
    });
  });
  return { child, port, baseUrl: `http://127.0.0.1:${port}`, output: () => out, exited };
}

/** Runs `src/main.ts` expecting it to fail; returns its exit code and output. */
export async function runAppExpectingExit(env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output: out };
}
