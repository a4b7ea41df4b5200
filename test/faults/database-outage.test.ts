import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppProcess, type AppProcess } from '../helpers/app-process.js';
import { emailsOfUsers, partlyWrittenAccounts } from '../helpers/account-invariants.js';
import { createPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import {
  openForm,
  outcomeOf,
  registerConfirmedRemote,
  registration,
  remoteBrowser,
  signedInRemote,
  submit,
  type Outcome,
} from '../helpers/remote-browser.js';
import { PASSWORD } from '../helpers/setup.js';

// The app as a real process on a Postgres cluster of its own, which the test stops and starts
// again under it. Runs the same whatever DATABASE_URL says: the shared server is never touched.
const BOUND_MS = 5_000;
/** A server that does not answer is noticed by the query timeout (10 s). */
const FROZEN_BOUND_MS = 15_000;
let pg: PrivatePostgres;
let app: AppProcess;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-outage-'));

beforeAll(async () => {
  pg = await createPrivatePostgres();
  await pg.createDatabase('gatehouse');
  app = await startAppProcess({
    DATABASE_URL: pg.url('gatehouse'),
    DATA_DIR: dataDir,
    NODE_ENV: 'test',
    APP_BASE_URL: 'http://gatehouse.test',
    SESSION_SECRET: 'outage-test-secret-outage-test-secret-0123',
    DEMO_MODE: 'true',
    // One client (127.0.0.1) registers every account here: past the default limit per IP.
    REGISTER_ATTEMPTS_PER_IP: '1000',
  });
}, 120_000);

afterAll(async () => {
  if (app && app.child.exitCode === null) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
  await pg?.destroy();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const statusesOf = (outcomes: Outcome[]) => outcomes.map((o) => o.status);

async function healthWithin(ms: number, expected: number): Promise<Outcome> {
  const deadline = Date.now() + ms;
  for (;;) {
    const health = await outcomeOf(remoteBrowser(app.baseUrl).get('/health'), BOUND_MS);
    if (health.status === expected || Date.now() > deadline) return health;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('when the database server goes down and comes back', () => {
  it('answers 503 during the outage, recovers without a restart, and loses or half-writes nothing', async () => {
    const base = app.baseUrl;
    const confirmed = await Promise.all(
      ['keeper', 'burst-in-0', 'burst-in-1'].map((n) => registerConfirmedRemote(base, `${n}@example.com`)),
    );
    const keeper = await signedInRemote(base, confirmed[0]);
    expect((await keeper.get('/manage')).status).toBe(200);

    // Browsers with their forms open, ready to submit once the database is going down.
    const prepare = async (path: string) => {
      const browser = remoteBrowser(base);
      return { browser, csrf: await openForm(browser, path) };
    };
    const burstRegistrations = await Promise.all(
      Array.from({ length: 6 }, (_, i) => prepare('/account/register').then((f) => ({ ...f, email: `burst-${i}@example.com` }))),
    );
    const burstSignIns = await Promise.all(confirmed.slice(1).map((email) => prepare('/account/login').then((f) => ({ ...f, email }))));
    const late = await prepare('/account/register');
    const lateSignIn = await prepare('/account/login');

    // A burst of registrations and sign-ins; the server stops (as in a crash) as soon as the
    // first of them has succeeded, with the others at every stage of their work.
    let firstSuccess!: () => void;
    const oneSucceeded = new Promise<void>((resolve) => (firstSuccess = resolve));
    const watch = (o: Promise<Outcome>) => o.then((outcome) => (outcome.status !== 503 && firstSuccess(), outcome));
    const inFlight = [
      ...burstRegistrations.map((f) => watch(outcomeOf(submit(f.browser, '/account/register', f.csrf, registration(f.email))))),
      ...burstSignIns.map((f) => watch(outcomeOf(submit(f.browser, '/account/login', f.csrf, { email: f.email, password: PASSWORD })))),
    ];
    await oneSucceeded;
    await pg.stop('immediate');
    const burst = await Promise.all(inFlight);
    const registered = burst.slice(0, burstRegistrations.length);
    const signedIn = burst.slice(burstRegistrations.length);
    for (const o of registered) expect([200, 503]).toContain(o.status);
    for (const o of signedIn) expect([303, 503]).toContain(o.status);
    expect(Math.max(...burst.map((o) => o.ms))).toBeLessThan(BOUND_MS);

    // During the outage: 503 pages and a 503 health check, promptly.
    const during = await Promise.all([
      outcomeOf(remoteBrowser(base).get('/health')),
      outcomeOf(keeper.get('/manage')),
      outcomeOf(submit(late.browser, '/account/register', late.csrf, registration('late@example.com'))),
      outcomeOf(submit(lateSignIn.browser, '/account/login', lateSignIn.csrf, { email: confirmed[1], password: PASSWORD })),
    ]);
    expect(statusesOf(during)).toEqual([503, 503, 503, 503]);
    expect(during[0].text).toBe('{"status":"unavailable"}');
    for (const page of during.slice(1)) {
      expect(page.text).toContain('cannot reach its database');
      expect(page.text).not.toMatch(/\.ts:\d+/);
    }
    expect(Math.max(...during.map((o) => o.ms))).toBeLessThan(BOUND_MS);

    // Back up: the same process serves again.
    await pg.start();
    expect((await healthWithin(15_000, 200)).status).toBe(200);
    expect((await keeper.get('/manage')).status).toBe(200);
    for (const [i, o] of signedIn.entries()) {
      // Signed in exactly when the client was told so.
      expect((await burstSignIns[i].browser.get('/manage')).status).toBe(o.status === 303 ? 200 : 302);
    }
    const again = await submit(late.browser, '/account/register', late.csrf, registration('late@example.com'));
    expect(again.status).toBe(200);
    await registerConfirmedRemote(base, 'after@example.com');
    await signedInRemote(base, 'after@example.com');
    expect(app.child.exitCode).toBeNull();

    // The rows agree with what the clients saw.
    await pg.query('gatehouse', async (db) => {
      expect(await partlyWrittenAccounts(db)).toEqual([]);
      const emails = await emailsOfUsers(db);
      for (const [i, o] of registered.entries()) {
        if (o.status === 200) expect(emails).toContain(burstRegistrations[i].email);
      }
      const attempted = [...confirmed, ...burstRegistrations.map((f) => f.email), 'late@example.com', 'after@example.com'];
      expect(emails.filter((e) => !attempted.includes(e))).toEqual([]);
      for (const [i, o] of signedIn.entries()) {
        if (o.status !== 303) continue;
        const user = await db('users').where({ email: burstSignIns[i].email }).first();
        expect(await db('audit_events').where({ user_id: user.id, event_type: 'SignedIn' })).toHaveLength(1);
      }
    });
    // What happened, for the log: how the burst ended.
    console.log(`[outage] burst: registrations ${statusesOf(registered).join(',')}; sign-ins ${statusesOf(signedIn).join(',')}`);
  }, 120_000);

  it('answers 503 within a bound when the server stops answering (frozen, as behind a partition), and recovers when it answers again', async () => {
    const base = app.baseUrl;
    await registerConfirmedRemote(base, 'frozen@example.com');
    const keeper = await signedInRemote(base, 'frozen@example.com');
    const registering = remoteBrowser(base);
    const csrf = await openForm(registering, '/account/register');
    const early = remoteBrowser(base);
    const earlyCsrf = await openForm(early, '/account/register');

    // One registration is under way (hashing, or in its transaction) as the server freezes.
    const underWay = outcomeOf(submit(early, '/account/register', earlyCsrf, registration('under-way@example.com')), 60_000);
    await new Promise((r) => setTimeout(r, 30));
    pg.freeze();
    let during: Outcome[];
    try {
      // The pool's connections are open and idle: each query waits for an answer that will
      // not come, so only the timeouts can end these requests.
      during = await Promise.all([
        outcomeOf(remoteBrowser(base).get('/health'), 60_000),
        outcomeOf(keeper.get('/manage'), 60_000),
        outcomeOf(submit(registering, '/account/register', csrf, registration('while-frozen@example.com')), 60_000),
        underWay,
      ]);
    } finally {
      pg.thaw();
    }
    expect(statusesOf(during.slice(0, 3))).toEqual([503, 503, 503]);
    expect([200, 503]).toContain(during[3].status);
    expect(Math.max(...during.map((o) => o.ms))).toBeLessThan(FROZEN_BOUND_MS);

    expect((await healthWithin(15_000, 200)).status).toBe(200);
    expect((await keeper.get('/manage')).status).toBe(200);
    expect((await submit(registering, '/account/register', csrf, registration('while-frozen@example.com'))).status).toBe(200);
    await pg.query('gatehouse', async (db) => {
      expect(await partlyWrittenAccounts(db)).toEqual([]);
      expect(await db('users').where({ email: 'while-frozen@example.com' })).toHaveLength(1);
      if (during[3].status === 200) expect(await db('users').where({ email: 'under-way@example.com' })).toHaveLength(1);
    });
  }, 120_000);
});
