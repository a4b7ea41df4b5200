import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/database.js';
import { PASSWORD, postForm } from '../../helpers/setup.js';
import { runAppExpectingExit, startAppProcess, type AppProcess } from '../../helpers/app-process.js';

// `npm start` on the embedded database: this file always uses PGlite, whatever DATABASE_URL says.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-start-'));
const env = { DATA_DIR: dataDir, DATABASE_URL: '' };
let first: AppProcess | undefined;

afterAll(async () => {
  if (first && first.child.exitCode === null) {
    first.child.kill('SIGKILL');
    await first.exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('starting Gatehouse as a process', () => {
  it('serves on an embedded database, refuses a second process on the same folder, and stops cleanly on SIGTERM', async () => {
    first = await startAppProcess(env);
    const health = await fetch(`${first.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(first.output()).toContain('demo mode');
    expect(fs.existsSync(path.join(dataDir, 'session-secret'))).toBe(true);
    const registered = await postForm(request.agent(first.baseUrl), '/account/register', {
      email: 'kept@example.com',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    expect(registered.status).toBe(200);

    const second = await runAppExpectingExit(env);
    expect(second.code).toBe(1);
    expect(second.output).toMatch(/another Gatehouse \(process \d+\) is using/);
    expect(second.output).not.toMatch(/\n\s+at /);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'gatehouse.lock'))).toBe(false);
  }, 120_000);

  it('keeps the data across a restart', async () => {
    const secretBefore = fs.readFileSync(path.join(dataDir, 'session-secret'), 'utf8');
    first = await startAppProcess(env);
    expect((await fetch(`${first.baseUrl}/health`)).status).toBe(200);
    expect(fs.readFileSync(path.join(dataDir, 'session-secret'), 'utf8')).toBe(secretBefore);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const db = await openDatabase({ dataDir });
    try {
      expect(await db.knex('users').where({ email: 'kept@example.com' })).toHaveLength(1);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('refuses to start on bad configuration, naming every bad variable', async () => {
    const result = await runAppExpectingExit({ ...env, PORT: 'eighty', NODE_ENV: 'production' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('PORT');
    expect(result.output).not.toMatch(/\n\s+at /);
  }, 60_000);
});
