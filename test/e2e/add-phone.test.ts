import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { PASSWORD, registerConfirmed } from '../helpers/setup.js';
import { checkPage, checkPhoneAndDesktop, PHONE, signInWithPassword, startBrowserWorld, type BrowserWorld } from './browser-world.js';

describe.runIf(hasChromium())('journey: add and verify a phone number', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld();
  });
  afterAll(() => world?.dispose());

  it('Manage → Add phone number → the code shown in demo mode → "The phone number was added."', async () => {
    const email = await registerConfirmed(world, 'phone-journey@example.com');
    const { context, page } = await world.newPage(PHONE);
    await signInWithPassword(page, email, PASSWORD);
    await page.goto('/manage');
    await expect.poll(() => page.getAttribute('[data-phone-number]', 'data-phone-number')).toBe('');

    await page.getByRole('link', { name: 'Add a phone number' }).click();
    await checkPhoneAndDesktop(page, 'add-phone-number');
    await page.getByLabel('Phone Number').fill('+41 79 123 45 67');
    await page.getByRole('button', { name: 'Send verification code' }).click();

    await expect.poll(() => page.textContent('[data-phone-number]')).toBe('+41 79 123 45 67');
    const code = (await page.textContent('[data-demo-code]'))!.trim();
    expect(code).toMatch(/^\d{6}$/);
    await checkPhoneAndDesktop(page, 'verify-phone-number', { docs: true });

    // A wrong code first: refused on the same page, and the right one still works.
    await page.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => page.textContent('[data-form-error]')).toContain('Failed to verify phone');
    await checkPage(page, 'verify-phone-number-error');

    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Submit' }).click();

    await expect.poll(() => page.textContent('[data-status-message]')).toBe('The phone number was added.');
    expect(page.url()).toBe(`${world.baseUrl}/manage?message=AddPhoneSuccess`);
    expect(await page.getAttribute('[data-phone-number]', 'data-phone-number')).toBe('+41 79 123 45 67');
    await checkPage(page, 'manage-phone-added');
    await context.close();
  });
});
