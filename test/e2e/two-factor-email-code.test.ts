import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { PASSWORD, registerConfirmed } from '../helpers/setup.js';
import {
  checkPage,
  checkPhoneAndDesktop,
  logOff,
  PHONE,
  signInWithPassword,
  startBrowserWorld,
  type BrowserWorld,
} from './browser-world.js';

describe.runIf(hasChromium())('journey: two-factor sign-in with an emailed code', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld();
  });
  afterAll(() => world?.dispose());

  it('an account with only a confirmed email turns 2FA on and signs in with "Email Code"', async () => {
    const email = await registerConfirmed(world, 'email-code-journey@example.com');
    const { context, page } = await world.newPage(PHONE);
    await signInWithPassword(page, email, PASSWORD);
    await page.goto('/manage');
    expect(await page.getAttribute('[data-phone-number]', 'data-phone-number')).toBe('');
    await page.getByRole('button', { name: 'Enable two-factor authentication' }).click();
    await expect.poll(() => page.textContent('[data-status-message]')).toBe('Your two factor provider has been set.');
    expect(await page.getAttribute('[data-two-factor]', 'data-two-factor')).toBe('enabled');
    await logOff(page, world.baseUrl);

    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/send-code');
    // No phone: email is the only way offered.
    expect(await page.getByRole('radio').count()).toBe(0);
    await checkPage(page, 'send-code-email-only');
    await page.getByRole('button', { name: 'Email a code to e•••@example.com' }).click();

    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/verify-code');
    expect(await page.textContent('main')).toContain('We sent a code by email.');
    const code = (await page.textContent('[data-demo-code]'))!.trim();
    // The same code went to the outbox as the "Security Code" email.
    const mail = await world.knex('outbox').where({ recipient: email, purpose: 'TwoFactor' }).orderBy('id', 'desc').first();
    expect(mail).toMatchObject({ channel: 'email', subject: 'Security Code', secret: code });
    expect(mail.body).toBe(`Your security code is: ${code}`);
    await checkPhoneAndDesktop(page, 'verify-code-email');

    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.url()).toBe(`${world.baseUrl}/`);
    await page.goto('/manage');
    await expect.poll(() => page.textContent('[data-email]')).toBe(email);
    // "Remember this browser" was left unticked: this browser is not remembered.
    expect(await page.getAttribute('[data-browser-remembered]', 'data-browser-remembered')).toBe('false');
    await context.close();
  });
});
