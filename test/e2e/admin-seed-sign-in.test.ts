import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { openCliDatabase, runAdminCli, type CliRun } from '../helpers/admin-cli.js';
import { hasChromium } from '../helpers/browser.js';
import { worldOn, type World, type WorldOptions } from '../helpers/setup.js';
import { checkPage, checkPhoneAndDesktop, PHONE, signInWithPassword, startBrowserWorld, type BrowserWorld } from './browser-world.js';

const ADMIN = 'admin@example.com';
const ADMIN_PASSWORD = 'an admin passphrase from the operator';

let seedRun: CliRun;

/**
 * The database is prepared as an operator would: the CLI seeds it first (`npm run admin -- seed
 * --password-stdin`), then the app opens it. On PGlite the folder is held by one process at a
 * time, so the CLI runs and exits before the app opens it.
 */
async function openSeededWorld(options: WorldOptions): Promise<World> {
  const cli = await openCliDatabase('gatehouse-e2e-admin-', options.env?.APP_BASE_URL ? { APP_BASE_URL: options.env.APP_BASE_URL } : {});
  seedRun = await runAdminCli(['seed', '--password-stdin'], { env: cli.env, stdin: `${ADMIN_PASSWORD}\n` });
  const db = cli.testDb?.db ?? (await openDatabase({ dataDir: cli.dataDir }));
  return worldOn(db, { DATA_DIR: cli.dataDir }, options, async () => {
    if (!cli.testDb) await db.close();
    await cli.dispose();
  });
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
