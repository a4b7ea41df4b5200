/**
 * Issue 14.10: `seed` must not hand Admin to an admin@example.com that it did not create (for
 * example one that someone else registered, unconfirmed, before the operator ran the seed).
 * The CLI runs as a real child process on this file's own database (PGlite folder or a
 * database on the Postgres server), as an operator runs it.
 */
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createServices, type Services } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { openCliDatabase, runAdminCli, type CliDatabase } from '../helpers/admin-cli.js';
import { postForm } from '../helpers/setup.js';

const ADMIN = 'admin@example.com';
const SQUATTER_PASSWORD = 'the squatter chose this passphrase';
const OPERATOR_PASSWORD = 'the operator admin passphrase';

let cli: CliDatabase;
beforeAll(async () => {
  cli = await openCliDatabase('gatehouse-seed-existing-');
}, 60_000);
afterAll(() => cli.dispose());

const seed = (...flags: string[]) => runAdminCli(['seed', ...flags], { env: { ...cli.env, ADMIN_PASSWORD: OPERATOR_PASSWORD } });

/** Opens the CLI's database as the server would (on PGlite: only while no CLI runs). */
async function withServices<T>(fn: (services: Services) => Promise<T>): Promise<T> {
  const services = await createServices(loadConfig(cli.env), { logger: pino({ level: 'silent' }) });
  try {
    return await fn(services);
  } finally {
    await services.outbox.drain();
    await services.close();
  }
}

/** Everything the seed could change about the account: roles, password, stamp, audit trail. */
const snapshot = () =>
  withServices(async ({ users, db }) => {
    const user = (await users.findByEmail(ADMIN))!;
    const audit = await db.knex('audit_events').where({ user_id: user.id }).orderBy('id').select('event_type');
    return {
      roles: await users.getRoles(user.id),
      passwordHash: user.passwordHash,
      securityStamp: user.securityStamp,
      audit: audit.map((e) => e.event_type as string),
    };
  });

function expectRefused(run: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(run.stderr).toMatch(pattern);
}

describe('issue 14.10: seed and an admin@example.com it did not create', { timeout: 120_000 }, () => {
  it('someone else registers admin@example.com over HTTP, unconfirmed', async () => {
    await withServices(async (services) => {
      const res = await postForm(request.agent(createApp(services).app), '/account/register', {
        email: ADMIN,
        password: SQUATTER_PASSWORD,
        confirmPassword: SQUATTER_PASSWORD,
      });
      expect(res.status).toBe(200);
      const user = await services.users.findByEmail(ADMIN);
      expect(user?.emailConfirmed).toBe(false);
    });
  });

  it('seed refuses to add the Admin role to it, says what to do, and changes nothing (audit included)', async () => {
    const before = await snapshot();
    expect(before.roles).toEqual([]);
    expectRefused(await seed(), /seed did not create it.*--grant-existing/);
    expect(await snapshot()).toEqual(before);
  });

  it('with --grant-existing, still refuses while the email is unconfirmed', async () => {
    const before = await snapshot();
    expectRefused(await seed('--grant-existing'), /not confirmed/);
    expectRefused(await seed('--grant-existing', '--force'), /not confirmed/);
    expect(await snapshot()).toEqual(before);
  });

  it('once the email is confirmed, refuses without the flag and grants Admin with it (password left alone)', async () => {
    await withServices(({ db }) => db.knex('users').where({ email: ADMIN }).update({ email_confirmed: true }));
    const before = await snapshot();
    expectRefused(await seed(), /seed did not create it/);
    expect(await snapshot()).toEqual(before);

    const granted = await seed('--grant-existing');
    expect(granted).toMatchObject({ code: 0, stderr: '' });
    expect(granted.stdout).toMatch(/already exists; added role Admin; password left unchanged/);
    const after = await snapshot();
    expect(after.roles).toEqual(['Admin']);
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(after.audit.slice(before.audit.length)).toEqual(['RoleAdded', 'AdminSeeded']);
  });

  it('`seed --help` names the flag', async () => {
    const help = await runAdminCli(['seed', '--help'], { env: cli.env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--grant-existing\s+give role Admin to an admin@example.com that seed did not create/);
  });
});
