import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGoogle, type FakeGoogle } from '../fakes/fake-google.js';
import { hasChromium } from '../helpers/browser.js';
import { checkPage, checkPhoneAndDesktop, logOff, PHONE, startBrowserWorld, type BrowserWorld } from './browser-world.js';

describe.runIf(hasChromium())('journey: sign in with Google (a loopback OAuth server)', () => {
  let world: BrowserWorld;
  let google: FakeGoogle;
  beforeAll(async () => {
    google = await startFakeGoogle();
    world = await startBrowserWorld({ env: google.env });
  });
  afterAll(async () => {
    await world?.dispose();
    await google?.close();
  });

  it('a new Google account → Associate your Google account → registered and signed in; next time straight in', async () => {
    const person = { sub: 'g-browser-1', email: 'browser.person@gmail.com', email_verified: true, name: 'Browser Person' };
    google.signInAs(person);
    const { context, page } = await world.newPage(PHONE);
    await page.goto('/account/login');
    await checkPhoneAndDesktop(page, 'login-with-google');

    // The button's form posts to the app, which redirects to the provider (allowed by the CSP's
    // form-action), which consents at once and sends the browser back to the callback.
    await page.getByRole('button', { name: 'Google' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/external-login-confirmation');
    expect(await page.textContent('main')).toContain('Associate your Google account.');
    await expect.poll(() => page.getByLabel('Email').inputValue()).toBe(person.email);
    await checkPhoneAndDesktop(page, 'external-login-confirmation', { docs: true });
    await page.getByRole('button', { name: 'Register' }).click();

    await expect.poll(() => page.url()).toBe(`${world.baseUrl}/`);
    await page.goto('/manage');
    await expect.poll(() => page.textContent('[data-email]')).toBe(person.email);
    expect(await page.getAttribute('[data-has-password]', 'data-has-password')).toBe('false');
    expect(await page.getAttribute('[data-external-logins]', 'data-external-logins')).toBe('1');
    await page.getByRole('link', { name: 'Manage external logins' }).click();
    await expect.poll(() => page.locator('[data-login-provider]').textContent()).toBe('Google');
    await checkPage(page, 'manage-logins-google');

    // Signed out, the Google button alone signs the linked account back in.
    await logOff(page, world.baseUrl);
    await page.goto('/account/login?returnUrl=%2Fmanage');
    google.signInAs(person);
    await page.getByRole('button', { name: 'Google' }).click();
    await expect.poll(() => page.url()).toBe(`${world.baseUrl}/manage`);
    expect(await page.textContent('[data-email]')).toBe(person.email);

    expect(google.tokenRequests).toHaveLength(2); // two real round trips through the provider
    const user = await world.knex('users').where({ email: person.email }).first();
    expect(user).toMatchObject({ email_confirmed: true, password_hash: null });
    expect(await world.knex('user_logins').where({ user_id: user.id })).toMatchObject([
      { login_provider: 'Google', provider_key: person.sub },
    ]);
    await context.close();
  });
});
