import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { PASSWORD, registerConfirmed } from '../helpers/setup.js';
import { twoFactorAccount } from '../helpers/two-factor.js';
import { PHONE, signInWithPassword, startBrowserWorld, type BrowserWorld } from './browser-world.js';

/**
 * express-session saves a changed session as the response ends, but it sends the headers (and
 * so a redirect's Location) before the store has the row. A browser follows a redirect as soon
 * as it reads the headers; if its next request reaches the store first, the new session id is
 * unknown and the sign-in is lost. On PGlite (one connection, queries in order) the write
 * always wins; on Postgres (a pool) it is a race, seen in these journeys on a busy machine.
 * A store that takes a moment to write makes the race certain.
 * src/app.ts therefore saves the session before every redirect.
 */
describe.runIf(hasChromium())('a signed-in session is stored before the browser follows the redirect', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld();
    const store = world.sessionStore;
    const set = store.set.bind(store);
    store.set = (sid, sess, callback) => void setTimeout(() => set(sid, sess, callback), 300);
  });
  afterAll(() => world?.dispose());

  it('stays signed in after the Log in redirect even when the session store is slow', async () => {
    const email = await registerConfirmed(world, 'slow-store@example.com');
    const { context, page } = await world.newPage(PHONE);
    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => page.url()).toBe(`${world.baseUrl}/`);
    await page.goto('/manage');
    expect(new URL(page.url()).pathname).toBe('/manage');
    await context.close();
  });

  it('keeps the pending two-factor step across its redirects, and the sign-in after the code', async () => {
    const email = 'slow-store-2fa@example.com';
    await twoFactorAccount(world, email, { phone: false });
    const { context, page } = await world.newPage(PHONE);
    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/send-code');
    await page.getByRole('button', { name: 'Email a code to s•••@example.com' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/verify-code');
    await page.getByLabel('Code').fill((await page.textContent('[data-demo-code]'))!.trim());
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.url()).toBe(`${world.baseUrl}/`);
    await page.goto('/manage');
    expect(new URL(page.url()).pathname).toBe('/manage');
    await context.close();
  });
});
