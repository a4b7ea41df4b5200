import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { PASSWORD, registerConfirmed } from '../helpers/setup.js';
import {
  checkPage,
  checkPhoneAndDesktop,
  DESKTOP,
  PHONE,
  signInWithPassword,
  startBrowserWorld,
  type BrowserWorld,
} from './browser-world.js';

const NEW_PASSWORD = 'changed on the phone 2024';

describe.runIf(hasChromium())('journey: changing the password ends the other browser’s session', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld();
  });
  afterAll(() => world?.dispose());

  it('a phone changes the password; the desktop, signed in too, is sent to the login page', async () => {
    const email = await registerConfirmed(world, 'change-password-journey@example.com');
    const phone = await world.newPage(PHONE);
    const desktop = await world.newPage(DESKTOP);
    for (const { page } of [phone, desktop]) {
      await signInWithPassword(page, email, PASSWORD);
      await page.goto('/manage');
      await expect.poll(() => page.textContent('[data-email]')).toBe(email);
    }

    await phone.page.getByRole('link', { name: 'Change your password' }).click();
    await checkPhoneAndDesktop(phone.page, 'change-password');
    await phone.page.getByLabel('Current password').fill(PASSWORD);
    await phone.page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await phone.page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await phone.page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => phone.page.textContent('[data-status-message]')).toBe('Your password has been changed.');
    await checkPage(phone.page, 'manage-password-changed');

    // The desktop's next page view finds its session ended.
    await desktop.page.reload();
    expect(new URL(desktop.page.url()).pathname).toBe('/account/login');
    expect(new URL(desktop.page.url()).searchParams.get('returnUrl')).toBe('/manage');
    await checkPage(desktop.page, 'login-after-password-change');
    await signInWithPassword(desktop.page, email, NEW_PASSWORD);
    await expect.poll(() => desktop.page.url()).toBe(`${world.baseUrl}/manage`);

    // The phone, which made the change, carries on.
    await phone.page.reload();
    expect(await phone.page.textContent('[data-email]')).toBe(email);
    await phone.context.close();
    await desktop.context.close();
  });
});
