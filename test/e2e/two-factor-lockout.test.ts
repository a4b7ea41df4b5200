import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { PASSWORD } from '../helpers/setup.js';
import { relaxedSendLimits, twoFactorAccount } from '../helpers/two-factor.js';
import { checkPage, checkPhoneAndDesktop, PHONE, signInWithPassword, startBrowserWorld, type BrowserWorld } from './browser-world.js';

/** A six-digit code that is not `code`. */
const wrong = (code: string, n: number) => String((Number(code) + n) % 1_000_000).padStart(6, '0');

describe.runIf(hasChromium())('journey: locked out after five wrong codes', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld({ env: relaxedSendLimits });
  });
  afterAll(() => world?.dispose());

  it('four wrong codes say "Invalid code."; the fifth shows "Locked out."; the password alone then locks out too', async () => {
    const email = 'lockout-journey@example.com';
    const user = await twoFactorAccount(world, email);
    const { context, page } = await world.newPage(PHONE);
    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/send-code');
    await page.getByLabel('Text a code to •••• 4567').check();
    await page.getByRole('button', { name: 'Send code' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/verify-code');
    const code = (await page.textContent('[data-demo-code]'))!.trim();

    for (let attempt = 1; attempt <= 4; attempt++) {
      await page.getByLabel('Code').fill(wrong(code, attempt));
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect.poll(() => page.textContent('[data-form-error]')).toBe('Invalid code.');
      expect(await page.locator('h1').textContent()).toBe('Verify');
      if (attempt === 1) await checkPage(page, 'verify-code-invalid');
    }
    await page.getByLabel('Code').fill(wrong(code, 5));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Locked out');
    expect(await page.textContent('[data-lockout]')).toBe('This account has been locked out, please try again later.');
    await checkPhoneAndDesktop(page, 'lockout', { docs: true });

    const locked = await world.knex('users').where({ id: user.id }).first();
    expect(new Date(locked.lockout_end).getTime()).toBeGreaterThan(Date.now() + 4 * 60_000);

    // The pending sign-in is gone, and the right password now meets the same page.
    await page.goto('/account/verify-code');
    expect(new URL(page.url()).pathname).toBe('/account/login');
    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Locked out');
    await page.goto('/manage');
    expect(new URL(page.url()).pathname).toBe('/account/login');
    await context.close();
  });
});
