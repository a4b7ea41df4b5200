import argon2 from 'argon2';
import { afterAll, describe, expect, it } from 'vitest';
import {
  openForm,
  outcomeOf,
  registerConfirmedRemote,
  remoteBrowser,
  signedInRemote,
  submit,
  type Outcome,
} from '../helpers/remote-browser.js';
import { csrfFrom, PASSWORD } from '../helpers/setup.js';
import type { AppProcess } from '../helpers/app-process.js';
import { killHard, runTarget, stopCleanly, type CrashTarget } from './crash-targets.js';

const NEW_PASSWORD = 'a brand new passphrase 42';
const USERS = 4;
let target: CrashTarget | undefined;
const apps: AppProcess[] = [];
afterAll(async () => {
  // A failed assertion leaves an app process running; end it before its data goes away.
  for (const app of apps) if (app.child.exitCode === null && app.child.signalCode === null) await killHard(app);
  await target?.dispose();
});

describe('kill -9 of the app during password changes', () => {
  it('leaves each account wholly on its old password or wholly on its new one', async () => {
    target = await runTarget();
    const first = await target.start();
    apps.push(first);
    const base = first.baseUrl;
    const emails = await Promise.all(Array.from({ length: USERS }, (_, i) => registerConfirmedRemote(base, `changer-${i}@example.com`)));
    const changers = await Promise.all(
      emails.map(async (email) => {
        const browser = await signedInRemote(base, email);
        // The route must answer: a missing one fails here rather than skipping the test.
        const form = await browser.get('/manage/change-password');
        expect(form.status, 'GET /manage/change-password').toBe(200);
        return { email, browser, csrf: csrfFrom(form.text), other: await signedInRemote(base, email) };
      }),
    );

    let killNow!: () => void;
    const oneAnswered = new Promise<void>((resolve) => (killNow = resolve));
    const inFlight = changers.map((c) =>
      outcomeOf(
        submit(c.browser, '/manage/change-password', c.csrf, {
          oldPassword: PASSWORD,
          newPassword: NEW_PASSWORD,
          confirmPassword: NEW_PASSWORD,
        }),
      ).then((o: Outcome) => (typeof o.status === 'number' && killNow(), o)),
    );
    await oneAnswered;
    await killHard(first);
    const changed = await Promise.all(inFlight);
    for (const o of changed) expect([303, 'no answer']).toContain(o.status);

    const second = await target.start(first.port);
    apps.push(second);
    const changedOnServer: boolean[] = [];
    try {
      for (const [i, c] of changers.entries()) {
        const browser = remoteBrowser(base);
        const res = await submit(browser, '/account/login', await openForm(browser, '/account/login'), {
          email: c.email,
          password: NEW_PASSWORD,
        });
        const onNew = res.status === 303;
        changedOnServer.push(onNew);
        if (changed[i].status === 303) {
          expect(onNew).toBe(true);
          expect((await c.browser.get('/manage')).status).toBe(200);
        }
        // The new stamp ends the other session; an unchanged one leaves it alone.
        expect((await c.other.get('/manage')).status).toBe(onNew ? 302 : 200);
      }
    } finally {
      expect(await stopCleanly(second)).toBe(0);
    }

    await target.read(async (db) => {
      for (const [i, c] of changers.entries()) {
        const user = await db('users').where({ email: c.email }).first();
        const onNew = await argon2.verify(user.password_hash, NEW_PASSWORD);
        const onOld = await argon2.verify(user.password_hash, PASSWORD);
        expect([onOld, onNew]).toEqual([!changedOnServer[i], changedOnServer[i]]);
        // The audit event and the notice were written with the hash, or not at all.
        expect(await db('audit_events').where({ user_id: user.id, event_type: 'PasswordChanged' })).toHaveLength(onNew ? 1 : 0);
        expect(await db('outbox').where({ user_id: user.id, purpose: 'PasswordChangedNotice' })).toHaveLength(onNew ? 1 : 0);
      }
    });
    console.log(
      `[kill -9 during password changes on ${target.kind}] ${changed.map((o) => o.status).join(',')}; on the new password after restart: ${changedOnServer.join(',')}`,
    );
  }, 180_000);
});
