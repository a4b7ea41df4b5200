import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { PASSWORD, registerConfirmed, signedInAgent } from '../helpers/setup.js';
import { addConfirmedPhone, relaxedSendLimits } from '../helpers/two-factor.js';
import {
  checkPage,
  checkPhoneAndDesktop,
  logOff,
  PHONE,
  signInWithPassword,
  startBrowserWorld,
  type BrowserWorld,
} from './browser-world.js';

describe.runIf(hasChromium())('journey: two-factor sign-in by SMS, and a remembered browser', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    // The phone was verified a moment ago: the one-code-per-30-seconds limit is not the subject.
    world = await startBrowserWorld({ env: relaxedSendLimits });
  });
  afterAll(() => world?.dispose());

  it('enable 2FA → log off → password + SMS code + "Remember this browser" → log off → password only', async () => {
    // An account with a verified phone (the phone journey has its own file).
    const email = await registerConfirmed(world, 'sms-journey@example.com');
    await addConfirmedPhone(await signedInAgent(world, email));

    const { context, page } = await world.newPage(PHONE);
    await signInWithPassword(page, email, PASSWORD);
    await page.goto('/manage');
    await page.getByRole('button', { name: 'Enable two-factor authentication' }).click();
    await expect.poll(() => page.textContent('[data-status-message]')).toBe('Your two factor provider has been set.');
    expect(await page.getAttribute('[data-two-factor]', 'data-two-factor')).toBe('enabled');
    expect(await page.getAttribute('[data-browser-remembered]', 'data-browser-remembered')).toBe('false');
    await checkPage(page, 'manage-two-factor-enabled');
    await logOff(page, world.baseUrl);

    // The password is only the first step now.
    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/send-code');
    await checkPhoneAndDesktop(page, 'send-code', { docs: true });
    await page.getByLabel('Text a code to •••• 4567').check();
    await page.getByRole('button', { name: 'Send code' }).click();

    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/verify-code');
    expect(await page.textContent('main')).toContain('We sent a code by text message to your phone.');
    const code = (await page.textContent('[data-demo-code]'))!.trim();
    expect(code).toMatch(/^\d{6}$/);
    await checkPhoneAndDesktop(page, 'verify-code', { docs: true });
    await page.getByLabel('Code').fill(code);
    await page.getByLabel('Remember this browser').check();
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.url()).toBe(`${world.baseUrl}/`);

    await page.goto('/manage');
    await expect.poll(() => page.textContent('[data-email]')).toBe(email);
    expect(await page.getAttribute('[data-browser-remembered]', 'data-browser-remembered')).toBe('true');
    await checkPhoneAndDesktop(page, 'manage-two-factor', { docs: true });
    await logOff(page, world.baseUrl);

    // This browser is remembered: the password alone signs in.
    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => page.url()).toBe(`${world.baseUrl}/`);
    await page.goto('/manage');
    await expect.poll(() => page.textContent('[data-email]')).toBe(email);
    expect(new URL(page.url()).pathname).toBe('/manage');

    // Another browser (no cookie) still has to give a code.
    const other = await world.newPage(PHONE);
    await signInWithPassword(other.page, email, PASSWORD);
    await expect.poll(() => new URL(other.page.url()).pathname).toBe('/account/send-code');
    await other.context.close();
    await context.close();
  });
});
