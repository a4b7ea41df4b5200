import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { createServices, type Services } from '../../../src/composition.js';
import { loadConfig } from '../../../src/config.js';
import { postForm } from '../../helpers/setup.js';
import { openCliDatabase, runAdminCli, type CliDatabase, type CliRun } from '../../helpers/admin-cli.js';

/**
 * The admin CLI as an operator runs it: a real child process on this file's own database
 * (a PGlite folder, or a database on the Postgres server when DATABASE_URL is set).
 */

const ADMIN = 'admin@example.com';
const ADMIN_PASSWORD = 'a long admin passphrase, not a default';
const NEW_ADMIN_PASSWORD = 'rotated admin passphrase 2';
const CAROL_PASSWORD = 'carol keeps her own passphrase';

let cli: CliDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  cli = await openCliDatabase('gatehouse-cli-');
  env = cli.env;
});

afterAll(() => cli.dispose());

const runCli = (args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) =>
  runAdminCli(args, { env: { ...env, ...options.env }, stdin: options.stdin });

/** Opens the database the CLI uses, as the server would (on PGlite: only while no CLI runs). */
async function withServices<T>(fn: (services: Services) => Promise<T>): Promise<T> {
  const services = await createServices(loadConfig(env), { logger: pino({ level: 'silent' }) });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

function expectOneErrorLine(run: CliRun, pattern: RegExp) {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
}

const userCount = () => withServices((s) => s.users.countUsers());

describe('help and usage errors', { timeout: 120_000 }, () => {
  it('lists every command with one line each, and shows a command’s options', async () => {
    const [general, word, unlockHelp] = await Promise.all([runCli(['--help']), runCli(['help']), runCli(['unlock', '--help'])]);
    expect(general.code).toBe(0);
    for (const command of ['seed', 'create-user', 'list-users', 'add-role', 'unlock', 'end-sessions']) {
      expect(general.stdout).toMatch(new RegExp(`^  ${command} +\\S.*$`, 'm'));
    }
    expect(word.stdout).toBe(general.stdout);
    expect(unlockHelp.code).toBe(0);
    expect(unlockHelp.stdout).toContain('Usage: npm run admin -- unlock --email E');
    expect(unlockHelp.stdout).toMatch(/--email E +\S/);
  });

  it('answers an unknown command, a missing option or an unknown option with one line and exit code 1', async () => {
    const [unknown, none, missing, missingValue, unknownOption] = await Promise.all([
      runCli(['frobnicate']),
      runCli([]),
      runCli(['unlock']),
      runCli(['unlock', '--email']),
      runCli(['unlock', '--mail', 'x@example.com']),
    ]);
    expectOneErrorLine(unknown, /unknown command "frobnicate"/);
    expectOneErrorLine(none, /no command given/);
    expectOneErrorLine(missing, /missing option --email/);
    expectOneErrorLine(missingValue, /--email/);
    expectOneErrorLine(unknownOption, /Unknown option '--mail'/);
  });

  it('refuses to change a production database without --yes (K91)', async () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://ops:secret@127.0.0.1:1/prod',
      SESSION_SECRET: 'production-secret-production-secret-0123',
      APP_BASE_URL: 'https://gatehouse.example',
    };
    const run = await runCli(['seed', '--password-stdin'], { stdin: `${ADMIN_PASSWORD}\n`, env: production });
    expectOneErrorLine(run, /production database 127\.0\.0\.1:1\/prod: add --yes/);
    expect(run.stderr).not.toContain('secret');
  });

  it('reports an unreachable database in one line, without the driver’s stack trace', async () => {
    const run = await runCli(['list-users'], { env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    expectOneErrorLine(run, /cannot open the database: .*ECONNREFUSED/);
  });
});

describe('seed', { timeout: 120_000 }, () => {
  it('refuses to run without a password, and never falls back to a default (K87)', async () => {
    const run = await runCli(['seed']);
    expectOneErrorLine(run, /no password/);
    expect(await userCount()).toBe(0);
  });

  it('rejects a password the registration form would reject (K90)', async () => {
    const [common, short] = await Promise.all([
      runCli(['seed', '--password-stdin'], { stdin: 'Password1\n' }),
      runCli(['seed'], { env: { ADMIN_PASSWORD: 'short' } }),
    ]);
    expectOneErrorLine(common, /password rejected: This password is too common/);
    expectOneErrorLine(short, /password rejected: Passwords must be at least 8 characters/);
    expect(await userCount()).toBe(0);
  });

  it('creates admin@example.com with role Admin, a confirmed email and lockout disabled', async () => {
    const run = await runCli(['seed', '--password-stdin'], { stdin: `${ADMIN_PASSWORD}\n` });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`Created ${ADMIN} with role Admin (email confirmed, lockout disabled).\n`);
    await withServices(async ({ users, hasher, db }) => {
      const admin = (await users.findByEmail(ADMIN))!;
      expect(admin).toMatchObject({ email: ADMIN, emailConfirmed: true, lockoutEnabled: false, twoFactorEnabled: false });
      expect(await users.getRoles(admin.id)).toEqual(['Admin']);
      // The line ending from `echo` is not part of the password.
      expect(await hasher.verify(admin.passwordHash!, ADMIN_PASSWORD)).toBe(true);
      const events = await db.knex('audit_events').where({ user_id: admin.id }).orderBy('id');
      expect(events.map((e) => e.event_type)).toEqual(['UserCreatedByAdmin', 'AdminSeeded']);
      expect(events[0].user_agent).toMatch(/^gatehouse-admin-cli \(/);
    });
  });

  it('can be run again: keeps the password and stamp, and restores a missing Admin role (K89)', async () => {
    const before = await withServices(async ({ users, store, db }) => {
      const admin = (await users.findByEmail(ADMIN))!;
      await db.knex('user_roles').where({ user_id: admin.id }).delete();
      expect(await store.getRoles(db.knex, admin.id)).toEqual([]);
      return admin;
    });
    const run = await runCli(['seed'], { env: { ADMIN_PASSWORD: NEW_ADMIN_PASSWORD } });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/already exists; added role Admin; password left unchanged \(use --force/);

    const again = await runCli(['seed'], { env: { ADMIN_PASSWORD: NEW_ADMIN_PASSWORD } });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already exists; it already has role Admin; password left unchanged/);

    await withServices(async ({ users, hasher, db }) => {
      const admin = (await users.findByEmail(ADMIN))!;
      expect(admin.passwordHash).toBe(before.passwordHash);
      expect(admin.securityStamp).toBe(before.securityStamp);
      expect(await hasher.verify(admin.passwordHash!, ADMIN_PASSWORD)).toBe(true);
      expect(await users.getRoles(admin.id)).toEqual(['Admin']);
      expect(await users.countUsers()).toBe(1);
      const seeded = await db.knex('audit_events').where({ user_id: admin.id, event_type: 'AdminSeeded' });
      expect(seeded).toHaveLength(3);
    });
  });

  it('with --force sets the new password, which rotates the stamp and tells the owner', async () => {
    const before = await withServices(({ users }) => users.findByEmail(ADMIN));
    const run = await runCli(['seed', '--force', '--password', NEW_ADMIN_PASSWORD]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/password changed/);
    // The password went through argv, where `ps` shows it (K88): the CLI says so.
    expect(run.stderr).toMatch(/^warning: .*visible to other users in `ps`/);
    await withServices(async ({ users, hasher, db }) => {
      const admin = (await users.findByEmail(ADMIN))!;
      expect(await hasher.verify(admin.passwordHash!, NEW_ADMIN_PASSWORD)).toBe(true);
      expect(await hasher.verify(admin.passwordHash!, ADMIN_PASSWORD)).toBe(false);
      expect(admin.securityStamp).not.toBe(before!.securityStamp);
      const reset = await db.knex('audit_events').where({ user_id: admin.id, event_type: 'PasswordReset' });
      expect(reset).toHaveLength(1);
      const notice = await db.knex('outbox').where({ recipient: ADMIN, purpose: 'PasswordChangedNotice' });
      expect(notice).toHaveLength(1);
    });
  });

  it('leaves an admin who can sign in through the app over HTTP', async () => {
    await withServices(async (services) => {
      const browser = request.agent(createApp(services).app);
      const wrong = await postForm(browser, '/account/login', { email: ADMIN, password: ADMIN_PASSWORD });
      expect(wrong.status).toBe(200);
      expect(wrong.text).toContain('Invalid login attempt.');
      const signedIn = await postForm(browser, '/account/login', { email: ADMIN, password: NEW_ADMIN_PASSWORD });
      expect(signedIn.status).toBe(303);
      const manage = await browser.get('/manage');
      expect(manage.status).toBe(200);
      expect(manage.text).toContain(`data-email>${ADMIN}<`);
    });
  });
});

describe('user commands', { timeout: 120_000 }, () => {
  const CAROL = 'carol@example.com';

  it('create-user makes an account with roles, a confirmed email and the password from stdin', async () => {
    const run = await runCli(
      ['create-user', '--email', CAROL, '--password-stdin', '--role', 'Editor', '--role', 'Auditor', '--confirmed'],
      { stdin: `${CAROL_PASSWORD}\n` },
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Created carol@example\.com \(roles: Editor, Auditor; email confirmed\)\.\n$/);
    await withServices(async ({ users, hasher }) => {
      const carol = (await users.findByEmail(CAROL))!;
      expect(carol).toMatchObject({ emailConfirmed: true, lockoutEnabled: true });
      expect(await users.getRoles(carol.id)).toEqual(['Auditor', 'Editor']);
      expect(await hasher.verify(carol.passwordHash!, CAROL_PASSWORD)).toBe(true);
    });
  });

  it('create-user refuses an address that exists in another case, in one line', async () => {
    const run = await runCli(['create-user', '--email', 'CAROL@Example.com', '--password-stdin'], {
      stdin: 'some other passphrase\n',
    });
    expectOneErrorLine(run, /already exists/);
  });

  it('create-user refuses a weak password and an invalid address', async () => {
    const [weak, invalid] = await Promise.all([
      runCli(['create-user', '--email', 'dave@example.com', '--password-stdin'], { stdin: '12345678\n' }),
      runCli(['create-user', '--email', 'not an address']),
    ]);
    expectOneErrorLine(weak, /password rejected/);
    expectOneErrorLine(invalid, /--email: not a valid email address/);
    expect(await withServices(({ users }) => users.findByEmail('dave@example.com'))).toBeUndefined();
  });

  it('add-role adds a role once and says when the user already has it', async () => {
    const added = await runCli(['add-role', '--email', CAROL, '--role', 'Admin']);
    expect(added).toMatchObject({ code: 0, stdout: `Added role Admin to ${CAROL}.\n` });
    const again = await runCli(['add-role', '--email', CAROL, '--role', 'admin']);
    expect(again).toMatchObject({ code: 0, stdout: `${CAROL} already has role Admin.\n` });
    const roles = await withServices(async ({ users }) => users.getRoles((await users.findByEmail(CAROL))!.id));
    expect(roles).toEqual(['Admin', 'Auditor', 'Editor']);
  });

  it('list-users shows email, confirmed, 2FA, locked and roles, and a count', async () => {
    await withServices(async ({ users, store, db }) => {
      const carol = (await users.findByEmail(CAROL))!;
      await store.setLockoutEnd(db.knex, carol.id, new Date(Date.now() + 3_600_000));
      await db.knex('users').where({ id: carol.id }).increment('access_failed_count', 2);
    });
    const run = await runCli(['list-users']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/ {2,}/));
    expect(lines).toEqual([
      ['EMAIL', 'CONFIRMED', '2FA', 'LOCKED', 'ROLES'],
      [ADMIN, 'yes', 'no', 'no', 'Admin'],
      [CAROL, 'yes', 'no', 'yes', 'Admin, Auditor, Editor'],
      ['2 users'],
    ]);
  });

  it('unlock ends the lockout, clears the failure count and is audit-logged (K92)', async () => {
    const run = await runCli(['unlock', '--email', CAROL]);
    expect(run).toMatchObject({ code: 0, stdout: `Unlocked ${CAROL} (lockout ended, failure count cleared).\n` });
    await withServices(async ({ users, db }) => {
      const carol = (await users.findByEmail(CAROL))!;
      expect(carol).toMatchObject({ lockoutEnd: null, accessFailedCount: 0 });
      const events = await db.knex('audit_events').where({ user_id: carol.id, event_type: 'UserUnlocked' });
      expect(events).toHaveLength(1);
      expect(events[0].user_agent).toMatch(/^gatehouse-admin-cli \(/);
    });
  });

  it('unlock and end-sessions for an unknown address fail in one line', async () => {
    // One after the other: a PGlite folder takes one process at a time.
    const unlockRun = await runCli(['unlock', '--email', 'nobody@example.com']);
    const endRun = await runCli(['end-sessions', '--email', 'nobody@example.com']);
    expectOneErrorLine(unlockRun, /no user with email nobody@example\.com/);
    expectOneErrorLine(endRun, /no user with email nobody@example\.com/);
  });

  it('end-sessions signs the user out of a browser that was signed in, and is audit-logged (K92)', async () => {
    const cookie = await withServices(async (services) => {
      const browser = request.agent(createApp(services).app);
      const res = await postForm(browser, '/account/login', { email: CAROL, password: CAROL_PASSWORD });
      expect(res.status).toBe(303);
      // The session cookie by name: the sign-in also clears the visitor's CSRF cookie.
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      return cookies.find((c) => c.startsWith('gatehouse.sid='))!.split(';')[0];
    });
    const manageWith = (services: Services) => request(createApp(services).app).get('/manage').set('Cookie', cookie);
    expect((await withServices(manageWith)).status).toBe(200);

    const run = await runCli(['end-sessions', '--email', CAROL]);
    expect(run).toMatchObject({ code: 0, stdout: `Ended every session of ${CAROL} (security stamp rotated).\n` });

    const after = await withServices(manageWith);
    expect(after.status).toBe(302);
    expect(after.headers.location).toBe('/account/login?returnUrl=%2Fmanage');
    const events = await withServices(async ({ db }) =>
      db.knex('audit_events').where({ event_type: 'SecurityStampUpdated' }).whereLike('user_agent', 'gatehouse-admin-cli%'),
    );
    expect(events).toHaveLength(1);
  });
});
