import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { PASSWORD, registerConfirmed } from '../helpers/setup.js';
import { checkPage, checkPhoneAndDesktop, PHONE, signInWithPassword, startBrowserWorld, type BrowserWorld } from './browser-world.js';

const NEW_PASSWORD = 'a brand new passphrase 42';

describe.runIf(hasChromium())('journey: forgot and reset the password', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld();
  });
  afterAll(() => world?.dispose());

  it('Forgot your password? → the link shown in demo mode → Reset → log in with the new password', async () => {
    // A long address with no hyphen to break at: the navigation bar and Manage must still fit a phone.
    const email = await registerConfirmed(world, 'forgot.password.journey.with.a.long.name@example.com');
    const { context, page } = await world.newPage(PHONE);
    await page.goto('/account/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await checkPage(page, 'forgot-password');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Email Link' }).click();

    await expect.poll(() => page.textContent('[data-check-email]')).toBe('Please check your email to reset your password.');
    const link = page.locator('a[data-demo-link]');
    const href = (await link.getAttribute('href'))!;
    expect(href.startsWith(`${world.baseUrl}/account/reset-password?`)).toBe(true);
    // The same link is in the "Reset Password" email in the outbox.
    const mail = await world.knex('outbox').where({ recipient: email, subject: 'Reset Password' }).first();
    expect(mail.body).toBe(`Please reset your password by clicking here: ${href}`);
    await checkPhoneAndDesktop(page, 'forgot-password-confirmation');
    await link.click();

    await expect.poll(() => page.locator('h1').textContent()).toBe('Reset password');
    await checkPhoneAndDesktop(page, 'reset-password', { docs: true });
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => page.textContent('[data-password-reset]')).toContain('Your password has been reset.');
    await checkPage(page, 'reset-password-confirmation');

    // The old password no longer works; the new one does.
    await page.locator('main').getByRole('link', { name: 'Log in', exact: true }).click();
    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => page.textContent('[data-form-error]')).toBe('Invalid login attempt.');
    await signInWithPassword(page, email, NEW_PASSWORD);
    await expect.poll(() => page.url()).toBe(`${world.baseUrl}/`);
    await page.goto('/manage');
    await expect.poll(() => page.textContent('[data-email]')).toBe(email);
    await checkPage(page, 'manage-long-email');

    // The link worked once.
    await page.goto(href);
    await page.getByLabel('Password', { exact: true }).fill('yet another passphrase 7');
    await page.getByLabel('Confirm password').fill('yet another passphrase 7');
    await page.getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => page.textContent('main')).toContain('Invalid token.');
    await context.close();
  });
});
