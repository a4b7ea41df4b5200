import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { PASSWORD } from '../helpers/setup.js';
import { checkPage, DESKTOP, PHONE, startBrowserWorld, type BrowserWorld } from './browser-world.js';

describe.runIf(hasChromium())('journey: register, confirm, sign in, sign off', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld();
  });
  afterAll(() => world?.dispose());

  for (const [label, viewport] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    it(`works in a browser on a ${label}`, async () => {
      const email = `journey-${label}@example.com`;
      const docs = label === 'desktop';
      const { context, page } = await world.newPage(viewport);
      await page.goto('/');
      await checkPage(page, 'home', { docs });
      await page.getByRole('link', { name: 'Register' }).first().click();

      // A mismatched confirmation shows its error beside the field.
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Confirm password').fill('something else entirely');
      await page.getByRole('button', { name: 'Register' }).click();
      await expect.poll(() => page.locator('#field-confirmPassword-error').textContent()).toContain('do not match');
      await checkPage(page, 'register-error', { docs });

      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Confirm password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Register' }).click();
      await expect.poll(() => page.textContent('main')).toContain('Please check your email and confirm your email address.');
      await checkPage(page, 'check-email', { docs });

      // The link only shows a button (a mail scanner fetching it confirms nothing); pressing it confirms.
      await page.locator('a[data-demo-link]').click();
      await expect.poll(() => page.textContent('main')).toContain('Press the button to confirm');
      await checkPage(page, 'confirm-email-button', { docs });
      await page.getByRole('button', { name: 'Confirm my email address' }).click();
      await expect.poll(() => page.textContent('main')).toContain('Thank you for confirming your email');
      await checkPage(page, 'confirm-email');

      await page.locator('main').getByRole('link', { name: 'Log in', exact: true }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('not the password at all');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect.poll(() => page.textContent('[data-form-error]')).toContain('Invalid login attempt.');
      await checkPage(page, 'login-error', { docs });

      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.goto('/manage');
      await expect.poll(() => page.textContent('[data-email]')).toBe(email);
      await checkPage(page, 'manage', { docs });

      await page.getByRole('button', { name: 'Log off' }).click();
      await expect.poll(() => page.url()).toBe(`${world.baseUrl}/`);
      await page.goto('/manage');
      expect(page.url()).toContain('/account/login?returnUrl=%2Fmanage');
      await context.close();
    });
  }
});
