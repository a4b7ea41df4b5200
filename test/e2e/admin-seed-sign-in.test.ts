import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createServices } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { hasChromium } from '../helpers/browser.js';
import type { World, WorldOptions } from '../helpers/setup.js';
import { openTestDatabase, serverUrl, type TestDatabase } from '../helpers/test-databases.js';
import { checkPage, checkPhoneAndDesktop, PHONE, signInWithPassword, startBrowserWorld, type BrowserWorld } from './browser-world.js';

const root = path.resolve(import.meta.dirname, '../..');
const ADMIN = 'admin@example.com';
const ADMIN_PASSWORD = 'an admin passphrase from the operator';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run admin -- seed --password-stdin` as an operator runs it: a child process of its own. */
function runSeed(env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/admin.ts', 'seed', '--password-stdin'], {
      cwd: root,
      env,
      timeout: 100_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(`${ADMIN_PASSWORD}\n`);
  });
}

let seedRun: CliRun;

/**
 * The database is prepared as an operator would: the CLI seeds it first, then the app opens it.
 * On Postgres that is this file's own database on the server; on PGlite a folder, which one
 * process at a time can hold, so the CLI runs and exits before the app opens the folder.
 */
async function openSeededWorld(options: WorldOptions): Promise<World> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-admin-'));
  const template = inject('pgTemplate');
  let testDb: TestDatabase | undefined;
  if (serverUrl() && template) {
    testDb = await openTestDatabase({ template });
  } else {
    const snapshot = new Blob([fs.readFileSync(inject('pgliteSnapshot'))]);
    await (await openDatabase({ dataDir, loadDataDir: snapshot })).close();
  }
  seedRun = await runSeed({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: os.tmpdir(),
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    APP_BASE_URL: options.env?.APP_BASE_URL ?? 'http://gatehouse.test',
    // A developer's own .env must not point the CLI at another database.
    DOTENV_PATH: '/dev/null',
    ...(testDb?.url ? { DATABASE_URL: testDb.url } : {}),
  });

  const db = testDb?.db ?? (await openDatabase({ dataDir }));
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...options.env });
  const services = await createServices(config, {
    appSecret: 'test-secret-test-secret-test-secret-0123456789',
    logger: pino({ level: 'silent' }),
    db,
    migrated: true,
  });
  const { app, sessionStore } = createApp(services);
  return {
    services,
    app,
    sessionStore,
    knex: db.knex,
    agent: () => request.agent(app),
    async close() {
      await services.outbox.drain();
      if (testDb) await testDb.dispose();
      else await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe.runIf(hasChromium())('journey: the admin CLI seeds an admin, who signs in through the browser', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld({ open: openSeededWorld });
  }, 150_000);
  afterAll(() => world?.dispose());

  it('seed --password-stdin creates admin@example.com; the admin logs in and sees Manage', async () => {
    expect(seedRun).toMatchObject({ code: 0, stderr: '' });
    expect(seedRun.stdout).toBe(`Created ${ADMIN} with role Admin (email confirmed, lockout disabled).\n`);

    const { context, page } = await world.newPage(PHONE);
    await page.goto('/account/login');
    // Only the password given on stdin works.
    await signInWithPassword(page, ADMIN, 'Password1!');
    await expect.poll(() => page.textContent('[data-form-error]')).toBe('Invalid login attempt.');
    await signInWithPassword(page, ADMIN, ADMIN_PASSWORD);
    await expect.poll(() => page.url()).toBe(`${world.baseUrl}/`);
    await checkPage(page, 'home-admin');

    await page.goto('/manage');
    await expect.poll(() => page.textContent('[data-email]')).toBe(ADMIN);
    await checkPhoneAndDesktop(page, 'manage-admin');
    const admin = await world.services.users.findByEmail(ADMIN);
    expect(await world.services.users.getRoles(admin!.id)).toEqual(['Admin']);
    await context.close();
  });
});
