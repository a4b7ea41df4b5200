import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppProcess } from '../helpers/app-process.js';
import { partlyWrittenAccounts } from '../helpers/account-invariants.js';
import { csrfFrom, PASSWORD } from '../helpers/setup.js';
import { runTarget, type CrashTarget } from './crash-targets.js';

// The run's database: PGlite in a folder, or a fresh database on the Postgres server.
let target: CrashTarget | undefined;
let app: AppProcess | undefined;
afterAll(async () => {
  if (app && app.child.exitCode === null) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
  await target?.dispose();
});

interface SlowRegistration {
  /** Resolves once the server has read the headers and asked for the body (100 Continue). */
  started: Promise<void>;
  sendBody(): void;
  response: Promise<{ status: number; connection?: string; text: string }>;
}

/**
 * A registration whose body is held back until `sendBody`: with `Expect: 100-continue` the
 * server has the request in hand (and answers 100) before the body leaves, so the request is
 * in flight, deterministically, when the signal arrives. The agent keeps connections alive, as
 * browsers do.
 */
async function slowRegistration(base: string, agent: http.Agent, email: string): Promise<SlowRegistration> {
  const form = await fetch(`${base}/account/register`);
  const cookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const body = new URLSearchParams({ email, password: PASSWORD, confirmPassword: PASSWORD, _csrf: csrfFrom(await form.text()) }).toString();
  const req = http.request(`${base}/account/register`, {
    method: 'POST',
    agent,
    headers: {
      cookie,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
      expect: '100-continue',
    },
  });
  const started = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const response = new Promise<{ status: number; connection?: string; text: string }>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
    });
  });
  req.flushHeaders();
  return { started, sendBody: () => req.end(body), response };
}

const connectionRefused = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });

async function until(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SIGTERM', () => {
  it('lets in-flight registrations finish with their normal page, refuses new connections, closes the database and exits 0', async () => {
    target = await runTarget();
    app = await target.start();
    const agent = new http.Agent({ keepAlive: true });
    const emails = Array.from({ length: 4 }, (_, i) => `in-flight-${i}@example.com`);
    const slow = await Promise.all(emails.map((email) => slowRegistration(app!.baseUrl, agent, email)));
    await Promise.all(slow.map((s) => s.started));

    app.child.kill('SIGTERM');
    await until(() => app!.output().includes('shutting down'));
    // The listener closes in the same turn as that log line; allow for the child being preempted.
    let attempt = await connectionRefused(app.port);
    for (let i = 0; attempt === 'connected' && i < 10; i++) attempt = await connectionRefused(app.port);
    expect(attempt).toBe('ECONNREFUSED');

    // Now the bodies: four registrations hash their passwords while the process is stopping.
    for (const s of slow) s.sendBody();
    const answers = await Promise.all(slow.map((s) => s.response));
    const answered = Date.now();
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.connection).toBe('close');
      expect(answer.text).toContain('Please check your email and confirm your email address.');
    }
    expect(await app.exited).toBe(0);
    // Well before the 10 s after which the server would cut remaining connections.
    // Each answer told its keep-alive client not to come back, so the process ends at once
    // instead of waiting out the idle connections (5 s) or cutting them (10 s).
    expect(Date.now() - answered).toBeLessThan(4_000);
    expect(app.output()).toContain('"msg":"stopped"');
    agent.destroy();
    if (target.kind === 'pglite') expect(fs.existsSync(path.join(target.dataDir, 'gatehouse.lock'))).toBe(false);

    await target.read(async (db) => {
      expect((await db('users').whereIn('email', emails)).length).toBe(emails.length);
      expect(await partlyWrittenAccounts(db)).toEqual([]);
    });
  }, 120_000);
});
