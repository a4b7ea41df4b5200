import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrationNames } from '../../src/db/migrate.js';
import {
  Browser,
  createClusterDatabase,
  demoCodeOnVerifyPage,
  enableTwoFactorWithPhone,
  passwordStep,
  registerConfirmed,
  sendCode,
  signIn,
  startCluster,
  verifyCode,
  wrongCode,
  type Cluster,
  type ClusterDatabase,
  type Instance,
} from '../helpers/cluster.js';
import { PASSWORD } from '../helpers/setup.js';

/**
 * Issue #5 §3, DESIGN.md §1: several instances on one database behave as one. Two real
 * processes (A and B) share one brand-new database on the Postgres server, one session secret
 * and one public URL; a browser's cookies go to whichever instance it talks to.
 */

let db: ClusterDatabase;
let cluster: Cluster;
let A: Instance;
let B: Instance;

// Code-sending limits as shipped per number (5 an hour) and per user (10 an hour); the
// 30-second interval is off so a test can send several codes in a row, and the per-IP limit
// is raised because every request here comes from 127.0.0.1.
const env = { CODE_SEND_INTERVAL_SECONDS: '0', CODE_SEND_PER_IP_PER_HOUR: '100000' };

beforeAll(async () => {
  db = await createClusterDatabase();
  // Both at the same moment, on an empty database: both run the start-up migrations.
  cluster = await startCluster(db.url, env);
  ({ a: A, b: B } = cluster);
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  await db?.drop();
}, 60_000);

// Every request comes from 127.0.0.1: the sign-in throttle's per-IP counter (50 per 15
// minutes) would soon refuse this file's sign-ins. Each test starts with no sign-in counters.
beforeEach(async () => {
  await db.knex('rate_limits').where('key', 'like', 'signin:%').delete();
});

const userId = async (email: string): Promise<string> => (await db.knex('users').where({ email }).first('id')).id;
const userRow = (email: string) => db.knex('users').where({ email }).first();
const audits = async (id: string, type: string) =>
  Number((await db.knex('audit_events').where({ user_id: id, event_type: type }).count<{ n: number }[]>('* as n'))[0].n);

/** The newest code texted to a number (the only one that can still be right). */
const latestCode = async (phoneE164: string): Promise<string> =>
  (await db.knex('outbox').where({ recipient: phoneE164, purpose: 'TwoFactor' }).orderBy('id', 'desc').first('secret')).secret;

/** A confirmed account with a verified phone and two-factor on, set up through A. */
async function twoFactorAccount(email: string, phone: string) {
  await registerConfirmed(A, email);
  const browser = await signIn(A, email);
  await enableTwoFactorWithPhone(A, browser, phone);
  return userId(email);
}

/** The password step through `at`, then Send Code (Phone Code) through `sendAt`. */
async function pendingWithCode(at: Instance, email: string, sendAt: Instance = at): Promise<Browser> {
  const { browser, res } = await passwordStep(at, email);
  expect(res.status).toBe(303);
  expect(res.headers.location).toMatch(/^\/account\/send-code/);
  const sent = await sendCode(sendAt, browser);
  expect(sent.status, sent.text.slice(0, 300)).toBe(303);
  return browser;
}

// Generous per-test time: on a busy two-core machine two app processes and argon2 share the CPU.
describe('two instances, one database', { timeout: 90_000 }, () => {
  it('both start at the same moment on an empty database; the schema is migrated exactly once', async () => {
    for (const instance of [A, B]) expect((await new Browser().get(instance, '/health')).body).toEqual({ status: 'ok' });
    const rows = await db.knex('knex_migrations').select('name', 'batch').orderBy('id');
    expect(rows).toEqual(migrationNames.map((name) => ({ name, batch: 1 })));
    expect(await db.knex('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
    for (const p of cluster.processes) expect(p.output()).not.toMatch(/"level":(50|60)/);
  });

  it('a session signed in through A works on B with the same cookie, and signing out on B ends it on A', async () => {
    // Registered on A, confirmed by following the emailed link on B.
    await registerConfirmed(A, 'shared@example.com', B);
    const browser = await signIn(A, 'shared@example.com');
    const onB = await browser.get(B, '/manage');
    expect(onB.status).toBe(200);
    expect(onB.text).toContain('shared@example.com');
    expect((await browser.get(A, '/manage')).status).toBe(200);

    // A second device holding a copy of the cookie is the same session, wherever it goes.
    const copy = browser.clone();
    expect((await copy.get(B, '/manage')).status).toBe(200);

    // The sign-out form comes from A, the post goes to B (the CSRF token lives in the session).
    const off = await browser.post(B, '/account/log-off', {}, { formPath: '/manage', formFrom: A });
    expect(off.status).toBe(303);
    expect((await copy.get(A, '/manage')).status).toBe(302);
    expect((await copy.get(B, '/manage')).status).toBe(302);
    expect(await db.knex('sessions').where({ user_id: await userId('shared@example.com') })).toHaveLength(0);
  });

  it("a password change on A ends the session on B at its next request; A's own session stays signed in", async () => {
    const email = 'changer@example.com';
    await registerConfirmed(B, email);
    const onA = await signIn(A, email);
    const onB = await signIn(B, email);
    const oldCookieOfA = onA.clone();
    expect((await onB.get(B, '/manage')).status).toBe(200);

    const newPassword = `${PASSWORD} (changed)`;
    const changed = await onA.post(A, '/manage/change-password', { oldPassword: PASSWORD, newPassword, confirmPassword: newPassword });
    expect(changed.status).toBe(303);
    expect(changed.headers.location).toBe('/manage?message=ChangePasswordSuccess');

    // B's session ends on its very next request, on B (and would on A too).
    const next = await onB.get(B, '/manage');
    expect(next.status).toBe(302);
    expect(next.headers.location).toMatch(/^\/account\/login/);
    expect((await onB.get(A, '/manage')).status).toBe(302);

    // A's session carries on, in a new id, on A and on B alike; its old id is over.
    const page = await onA.get(A, '/manage?message=ChangePasswordSuccess');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Your password has been changed.');
    expect((await onA.get(B, '/manage')).status).toBe(200);
    expect((await oldCookieOfA.get(B, '/manage')).status).toBe(302);
    expect(await db.knex('sessions').where({ user_id: await userId(email) })).toHaveLength(1);

    // Either instance now takes only the new password.
    expect((await passwordStep(B, email)).res.text).toContain('Invalid login attempt.');
    expect((await passwordStep(A, email, new Browser(), newPassword)).res.status).toBe(303);
  });

  it('a lockout counted on A and B holds on both: five wrong codes split across them lock the account', async () => {
    const email = 'lockme@example.com';
    const id = await twoFactorAccount(email, '+41 79 555 01 01');
    // Three pending sign-ins with a code sent, started on either instance before the lock.
    const waitingOnA = await pendingWithCode(A, email);
    const waitingOnB = await pendingWithCode(B, email);
    const guesser = await pendingWithCode(B, email, A);
    // The code just sent (the newest replaces older ones), read on B's Verify Code page.
    const right = await demoCodeOnVerifyPage(B, guesser);
    expect(right).toBe(await latestCode('+41795550101'));

    const at = [A, B, A, B];
    for (let i = 0; i < 4; i++) {
      const res = await verifyCode(at[i], guesser, wrongCode(right, i + 1));
      expect(res.status).toBe(200);
      expect(res.text).toContain('Invalid code.');
      expect((await userRow(email)).access_failed_count).toBe(i + 1);
    }
    const fifth = await verifyCode(A, guesser, wrongCode(right, 5));
    expect(fifth.text).toContain('Locked out');
    expect(fifth.text).toContain('This account has been locked out, please try again later.');

    const locked = await userRow(email);
    expect(locked.access_failed_count).toBe(0);
    expect(new Date(locked.lockout_end).getTime()).toBeGreaterThan(Date.now() + 4 * 60_000);
    expect(await audits(id, 'TwoFactorFailed')).toBe(5);
    expect(await audits(id, 'LockedOut')).toBe(1);

    // The right code is refused on either instance, in the sign-ins started before the lock.
    for (const [instance, browser] of [
      [A, waitingOnA],
      [B, waitingOnB],
    ] as const) {
      const res = await verifyCode(instance, browser, right);
      expect(res.status).toBe(200);
      expect(res.text).toContain('Locked out');
      expect((await browser.get(instance, '/manage')).status).toBe(302);
    }
    // No new sign-in or code either, on either instance.
    for (const instance of [A, B]) expect((await passwordStep(instance, email)).res.text).toContain('Locked out');
    expect(await audits(id, 'TwoFactorLockedOut')).toBe(2);
    expect(await audits(id, 'SignedIn')).toBe(1); // the set-up sign-in only

    // The lock lives in the database only: once it is over there, B lets a right code in.
    await db
      .knex('users')
      .where({ id })
      .update({ lockout_end: new Date(Date.now() - 1000) });
    const after = await pendingWithCode(B, email);
    const ok = await verifyCode(B, after, await latestCode('+41795550101'));
    expect(ok.status).toBe(303);
    expect((await after.get(A, '/manage')).status).toBe(200);
  });

  it('50 wrong codes sent in parallel to A and B lock the account exactly at the limit; nobody signs in', async () => {
    const email = 'flood@example.com';
    const phone = '+41795550102';
    const id = await twoFactorAccount(email, '+41 79 555 01 02');
    // Four pending sign-ins, two started on each instance (five codes to the number: the limit).
    const pending = [
      await pendingWithCode(A, email),
      await pendingWithCode(B, email),
      await pendingWithCode(A, email),
      await pendingWithCode(B, email),
    ];
    const right = await latestCode(phone);
    const tokens = await Promise.all(pending.map((browser) => browser.csrf(A, '/account/login')));

    // Guess i goes to instance A or B in turn, through each pending sign-in in turn.
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        pending[i % 4].postWithToken(
          i % 2 ? B : A,
          '/account/verify-code',
          { provider: 'Phone Code', code: wrongCode(right, i + 1) },
          tokens[i % 4],
        ),
      ),
    );
    const invalid = responses.filter((r) => r.status === 200 && r.text.includes('Invalid code.')).length;
    const lockedOut = responses.filter((r) => r.status === 200 && r.text.includes('Locked out')).length;
    // Requests that arrive after a lockout voided their pending sign-in find none left.
    const expired = responses.filter((r) => r.status === 400 && r.text.includes('Your sign-in has expired')).length;
    expect(responses.filter((r) => r.status === 303)).toHaveLength(0);
    expect(invalid + lockedOut + expired).toBe(50);
    expect(invalid).toBe(4);
    expect(lockedOut).toBeGreaterThanOrEqual(1);

    // Exactly five codes were checked; every other counted attempt was refused as locked.
    const user = await userRow(email);
    expect(user.access_failed_count).toBe(0);
    expect(new Date(user.lockout_end).getTime()).toBeGreaterThan(Date.now() + 4 * 60_000);
    expect(await audits(id, 'TwoFactorFailed')).toBe(5);
    expect(await audits(id, 'LockedOut')).toBe(1);
    expect(await audits(id, 'TwoFactorLockedOut')).toBe(50 - 5 - expired);
    expect(await audits(id, 'SignedIn')).toBe(1); // the set-up sign-in only
    // No code is left to use, and no pending browser became signed in.
    expect(await db.knex('user_tokens').where({ user_id: id, purpose: 'TwoFactor' }).whereNull('consumed_at')).toHaveLength(0);
    for (const browser of pending) expect((await browser.get(B, '/manage')).status).toBe(302);
  });

  it('rate limits are shared: sign-in attempts on A and B add up to one per-account limit', async () => {
    const email = 'throttled@example.com';
    await registerConfirmed(A, email);
    await db.knex('rate_limits').where('key', 'like', 'signin:%').delete();
    // Ten wrong passwords, five through each instance, from browsers that never signed in.
    for (let i = 0; i < 10; i++) {
      const { res } = await passwordStep(i % 2 ? B : A, email, new Browser(), `wrong password ${i}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('Invalid login attempt.');
    }
    // The eleventh is refused on either instance, even with the right password.
    for (const instance of [A, B]) {
      const { res } = await passwordStep(instance, email);
      expect(res.status).toBe(429);
      expect(res.text).toContain('Too many sign-in attempts.');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    const counters = await db.knex('rate_limits').where('key', 'like', 'signin:%').orderBy('key').select('key', 'count');
    expect(counters.map((c) => [c.key.split(':').slice(0, 2).join(':'), c.count])).toEqual([
      ['signin:address', 12],
      ['signin:ip', 12],
      ['signin:user', 12],
    ]);
    expect(await audits(await userId(email), 'SignedIn')).toBe(0);
  });

  it('rate limits are shared: codes texted through A and B add up to one per-number limit', async () => {
    const email = 'texted@example.com';
    const phone = '+41795550103';
    await twoFactorAccount(email, '+41 79 555 01 03'); // the first code to this number
    const { browser } = await passwordStep(A, email);
    // Four more, through B, A, B, A: five an hour to one number.
    for (const at of [B, A, B, A]) expect((await sendCode(at, browser)).status).toBe(303);
    expect(await db.knex('outbox').where({ recipient: phone })).toHaveLength(5);
    for (const at of [B, A]) {
      const refused = await sendCode(at, browser);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(await db.knex('outbox').where({ recipient: phone })).toHaveLength(5);
    expect(await audits(await userId(email), 'SecurityCodeRateLimited')).toBe(2);
  });
});
