import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { emailsOfUsers, partlyWrittenAccounts } from '../helpers/account-invariants.js';
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
import { confirmByButton, demoLinkFrom, localPath, PASSWORD } from '../helpers/setup.js';
import { killHard, stopCleanly, type CrashTarget } from './crash-targets.js';

const REGISTRATIONS = 10;
/** Answers before the kill: the rest of the burst is at every stage of its work. */
const KILL_AFTER = 5;

/**
 * Starts the app on `target`, fires a burst of registrations and sign-ins, kills the process
 * with SIGKILL once a few of them have been answered, starts it again on the same data and
 * checks that every account is whole and agrees with what the clients were told.
 */
export async function crashDuringBurst(target: CrashTarget): Promise<void> {
  const first = await target.start();
  const base = first.baseUrl;
  const confirmed = await Promise.all(['steady-0', 'steady-1'].map((n) => registerConfirmedRemote(base, `${n}@example.com`)));

  const open = async (page: string) => {
    const browser = remoteBrowser(base);
    return { browser, csrf: await openForm(browser, page) };
  };
  const registrations = await Promise.all(
    Array.from({ length: REGISTRATIONS }, (_, i) => open('/account/register').then((f) => ({ ...f, email: `crash-${i}@example.com` }))),
  );
  const signIns = await Promise.all([...confirmed, ...confirmed].map((email) => open('/account/login').then((f) => ({ ...f, email }))));

  // Sign-ins sent between the registrations, so both are under way when the process dies.
  let answered = 0;
  let killNow!: () => void;
  const enoughAnswered = new Promise<void>((resolve) => (killNow = resolve));
  const watch = (o: Promise<Outcome>) =>
    o.then((outcome) => {
      if (typeof outcome.status === 'number' && ++answered === KILL_AFTER) killNow();
      return outcome;
    });
  const signedInPromises: Promise<Outcome>[] = [];
  const registeredPromises = registrations.map((f, i) => {
    const done = watch(outcomeOf(submit(f.browser, '/account/register', f.csrf, registration(f.email))));
    const s = signIns[Math.floor(i / 2)];
    if (i % 2 === 1 && s)
      signedInPromises.push(watch(outcomeOf(submit(s.browser, '/account/login', s.csrf, { email: s.email, password: PASSWORD }))));
    return done;
  });
  await enoughAnswered;
  await killHard(first);
  const registered = await Promise.all(registeredPromises);
  const signedIn = await Promise.all(signedInPromises);
  // Either the normal answer or a broken connection: never an error page.
  for (const o of registered) expect([200, 'no answer']).toContain(o.status);
  for (const o of signedIn) expect([303, 'no answer']).toContain(o.status);

  const lockFile = path.join(target.dataDir, 'gatehouse.lock');
  if (target.kind === 'pglite') expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(first.child.pid));

  // Restarted on the same data: the stale lock is taken over, and what was acknowledged is there.
  const second = await target.start(first.port);
  try {
    if (target.kind === 'pglite') expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(second.child.pid));
    for (const o of registered) {
      if (o.status !== 200) continue;
      expect((await confirmByButton(remoteBrowser(base), localPath(demoLinkFrom(o.text)))).status).toBe(200);
    }
    for (const [i, o] of signedIn.entries()) {
      // A session the client was given survives the crash (and the restart's session secret).
      if (o.status === 303) expect((await signIns[i].browser.get('/manage')).status).toBe(200);
    }
    await registerConfirmedRemote(base, 'after-crash@example.com');
    await signedInRemote(base, 'after-crash@example.com');
  } finally {
    expect(await stopCleanly(second)).toBe(0);
  }

  await target.read(async (db) => {
    expect(await partlyWrittenAccounts(db)).toEqual([]);
    const emails = await emailsOfUsers(db);
    for (const [i, o] of registered.entries()) {
      if (o.status === 200) expect(emails).toContain(registrations[i].email);
    }
    const attempted = [...confirmed, ...registrations.map((f) => f.email), 'after-crash@example.com'];
    expect(emails.filter((e) => !attempted.includes(e))).toEqual([]);
    // Nothing was sent on the way down, and nothing is stuck half-claimed.
    expect(await db('outbox').whereNotIn('status', ['recorded'])).toEqual([]);
  });
  console.log(
    `[kill -9 on ${target.kind}] registrations ${registered.map((o) => o.status).join(',')}; sign-ins ${signedIn.map((o) => o.status).join(',')}`,
  );
}
