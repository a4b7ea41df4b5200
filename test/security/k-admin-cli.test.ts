/**
 * Attack catalogue, group K: the admin seeding CLI. Cases 87, 88, 89, 90, 91, 92.
 *
 * The commands run in-process here, on this file's database (PGlite or the Postgres server),
 * through the same `prepare` → action path `npm run admin` takes; runAdmin itself is used for
 * the checks that happen before any database is opened.
 *
 * Already covered elsewhere (the CLI as a real child process), and checked to do what the case asks:
 * - 87: test/integration/cli/admin-cli.test.ts "refuses to run without a password, and never falls back to a default (K87)"
 * - 88: test/integration/cli/admin-cli.test.ts "with --force sets the new password, ..." (the `ps` warning for --password)
 * - 89: test/integration/cli/admin-cli.test.ts "can be run again: keeps the password and stamp, and restores a missing Admin role (K89)"
 * - 90: test/integration/cli/admin-cli.test.ts "rejects a password the registration form would reject (K90)"
 * - 91: test/integration/cli/admin-cli.test.ts "refuses to change a production database without --yes (K91)" (NODE_ENV=production)
 * - 92: test/integration/cli/admin-cli.test.ts "unlock ends the lockout, clears the failure count and is audit-logged (K92)",
 *       "end-sessions signs the user out of a browser that was signed in, and is audit-logged (K92)"
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endSessions, unlock } from '../../src/cli/commands/users.js';
import { seed } from '../../src/cli/commands/seed.js';
import type { OptionValues } from '../../src/cli/command.js';
import type { CliIo } from '../../src/cli/io.js';
import { runAdmin } from '../../src/cli/run.js';
import { loadConfig } from '../../src/config.js';
import { postForm, setup, type World } from '../helpers/setup.js';
import { clearSignInThrottle, relaxedSendLimits, twoFactorSignIn } from '../helpers/two-factor.js';
import { account, cookiePair, isSignedIn, PASSWORD, userRow } from './helpers.js';

let world: World;
beforeAll(async () => {
  world = await setup({ env: relaxedSendLimits });
});
afterAll(() => world.close());

const ADMIN = 'admin@example.com';
const ADMIN_PASSWORD = 'the first admin passphrase';

function fakeIo(env: Record<string, string | undefined> = {}, stdin?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: { NODE_ENV: 'test', APP_BASE_URL: 'http://gatehouse.test', DATA_DIR: '/nonexistent', ...env },
    stdin: stdin === undefined ? Object.assign(Readable.from([]), { isTTY: true }) : Readable.from([stdin]),
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    stderrIsTty: false,
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

/** Runs a command the way run.ts does, on this file's services. */
async function run(command: typeof seed, values: OptionValues, env: Record<string, string | undefined> = {}, stdin?: string) {
  const { io, out, err } = fakeIo(env, stdin);
  const action = await command.prepare({ values, config: loadConfig(io.env), io });
  await action(world.services);
  return { out: out(), err: err() };
}

describe('case 87: the seed without a password', () => {
  it('refuses, before opening any database, for a missing, empty or unset password, and creates nothing', async () => {
    for (const env of [{}, { ADMIN_PASSWORD: '' }, { ADMIN_PASSWORD: undefined }]) {
      const { io, err } = fakeIo({ ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      expect(await runAdmin(['seed'], io)).toBe(1);
      expect(err()).toMatch(/^error: no password: .*\(there is no default\)\n$/);
    }
    expect(await world.services.users.findByEmail(ADMIN)).toBeUndefined();
    // Nor does an empty line on stdin count as a password.
    const { io, err } = fakeIo({}, '\n');
    expect(await runAdmin(['seed', '--password-stdin'], io)).toBe(1);
    expect(err()).toMatch(/password rejected/);
  });
});

describe('case 88: the password on the command line', () => {
  it('is accepted with a warning about `ps`; stdin and ADMIN_PASSWORD give none; both at once are refused', async () => {
    const { io, err } = fakeIo();
    const action = await seed.prepare({ values: { password: ADMIN_PASSWORD }, config: loadConfig(io.env), io });
    expect(err()).toMatch(/^warning: .*visible to other users in `ps`/);
    void action; // not run: only the warning is the point here
    const quiet = fakeIo({}, `${ADMIN_PASSWORD}\n`);
    await seed.prepare({ values: { 'password-stdin': true }, config: loadConfig(quiet.io.env), io: quiet.io });
    expect(quiet.err()).toBe('');
    const both = fakeIo({}, `${ADMIN_PASSWORD}\n`);
    expect(await runAdmin(['seed', '--password-stdin', '--password', ADMIN_PASSWORD], both.io)).toBe(1);
    expect(both.err()).toMatch(/either --password or --password-stdin/);
  });
});

describe('case 89: running the seed again', () => {
  it('keeps the password, the stamp and two-factor without --force, logs each run, and --force leaves two-factor on', async () => {
    await run(seed, { 'password-stdin': true }, {}, `${ADMIN_PASSWORD}\n`);
    const admin = await world.services.users.findByEmail(ADMIN);
    await world.services.store.setPhoneNumber(world.knex, admin!.id, '+41791234567', true);
    await world.services.store.setTwoFactorEnabled(world.knex, admin!.id, true);
    const before = await userRow(world, ADMIN);
    const again = await run(seed, {}, { ADMIN_PASSWORD: 'a different passphrase entirely' });
    expect(again.out).toMatch(/password left unchanged \(use --force to set it\)/);
    const after = await userRow(world, ADMIN);
    for (const column of ['password_hash', 'security_stamp', 'two_factor_enabled', 'phone_number', 'phone_number_confirmed']) {
      expect(after[column], column).toEqual(before[column]);
    }
    const forced = await run(seed, { force: true }, { ADMIN_PASSWORD: 'a different passphrase entirely' });
    expect(forced.out).toMatch(/password changed/);
    const changed = await userRow(world, ADMIN);
    expect(changed.password_hash).not.toBe(before.password_hash);
    expect(changed.two_factor_enabled).toBe(true);
    expect(changed.phone_number).toBe(before.phone_number);
    const seeded = await world.knex('audit_events').where({ user_id: admin!.id, event_type: 'AdminSeeded' });
    expect(seeded).toHaveLength(3);
    expect(seeded.every((e) => /^gatehouse-admin-cli \(/.test(e.user_agent))).toBe(true);
  });
});

describe('case 90: a seed password the registration form would refuse', () => {
  it('is refused with the same reasons registration gives', async () => {
    for (const password of ['short', 'password', 'Password1', '12345678', 'x'.repeat(257)]) {
      const problems = world.services.users.validatePassword(password);
      expect(problems.length, password).toBeGreaterThan(0);
      const { io, err } = fakeIo({ ADMIN_PASSWORD: password });
      expect(await runAdmin(['seed'], io), password).toBe(1);
      expect(err(), password).toBe(`error: password rejected: ${problems.join(' ')}\n`);
      const form = await postForm(world.agent(), '/account/register', { email: 'form90@example.com', password, confirmPassword: password });
      expect(form.text, password).toContain(problems[0].replace(/'/g, '&#39;'));
    }
  });
});

describe('case 91: the CLI pointed at a database server', () => {
  const server = { DATABASE_URL: 'postgres://ops:s3cret@127.0.0.1:1/prod' };

  it('refuses to change a server database without --yes when NODE_ENV is not set', async () => {
    const { io, err } = fakeIo({ ...server, NODE_ENV: undefined, ADMIN_PASSWORD });
    expect(await runAdmin(['seed'], io)).toBe(1);
    expect(err()).toMatch(/add --yes/);
    expect(err()).not.toContain('s3cret');
  });

  it('refuses with NODE_ENV=production too, and lets read-only commands through to the connection', async () => {
    const prod = fakeIo({
      ...server,
      NODE_ENV: 'production',
      SESSION_SECRET: 'production-secret-production-secret-0123',
      APP_BASE_URL: 'https://gatehouse.example',
      ADMIN_PASSWORD,
    });
    expect(await runAdmin(['seed'], prod.io)).toBe(1);
    expect(prod.err()).toMatch(/add --yes/);
    const list = fakeIo({
      ...server,
      NODE_ENV: 'production',
      SESSION_SECRET: 'production-secret-production-secret-0123',
      APP_BASE_URL: 'https://gatehouse.example',
    });
    expect(await runAdmin(['list-users'], list.io)).toBe(1);
    expect(list.err()).toMatch(/cannot open the database/);
  });
});

describe('case 92: unlock and end-sessions', () => {
  it('end-sessions ends every session and remembered browser by rotating the stamp; both are audit-logged', async () => {
    const user = await account(world, 'ops92@example.com', { twoFactor: true });
    await clearSignInThrottle(world);
    const { agent, res } = await twoFactorSignIn(world, 'ops92@example.com', { verify: { rememberBrowser: 'true' } });
    expect(cookiePair(res, 'gatehouse.rb')).toBeDefined();
    const stamp = (await userRow(world, 'ops92@example.com')).security_stamp;
    const out = await run(endSessions, { email: 'OPS92@example.com' });
    expect(out.out).toMatch(/security stamp rotated/);
    expect((await userRow(world, 'ops92@example.com')).security_stamp).not.toBe(stamp);
    expect(await isSignedIn(agent)).toBe(false);
    // The remembered browser asks for the code again.
    const again = await postForm(agent, '/account/login', { email: 'ops92@example.com', password: PASSWORD });
    expect(again.headers.location).toMatch(/^\/account\/send-code/);

    await world.services.store.setLockoutEnd(world.knex, user.id, new Date(Date.now() + 3_600_000));
    await run(unlock, { email: 'ops92@example.com' });
    expect((await userRow(world, 'ops92@example.com')).lockout_end).toBeNull();
    const events = await world
      .knex('audit_events')
      .where({ user_id: user.id })
      .whereIn('event_type', ['SecurityStampUpdated', 'UserUnlocked']);
    expect(events.map((e) => e.event_type).sort()).toEqual(['SecurityStampUpdated', 'UserUnlocked']);
    expect(events.every((e) => /^gatehouse-admin-cli \(/.test(e.user_agent))).toBe(true);
  });
});
