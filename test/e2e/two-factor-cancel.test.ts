import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { PASSWORD } from '../helpers/setup.js';
import { relaxedSendLimits, twoFactorAccount } from '../helpers/two-factor.js';
import { PHONE, signInWithPassword, startBrowserWorld, type BrowserWorld } from './browser-world.js';

describe.runIf(hasChromium())('journey: cancelling a two-factor sign-in', () => {
  let world: BrowserWorld;
  beforeAll(async () => {
    world = await startBrowserWorld({ env: relaxedSendLimits });
  });
  afterAll(() => world?.dispose());

  it('"Cancel sign-in" on Send Code and on Verify Code goes back to Log in, and the code pages stay closed', async () => {
    const email = 'cancel-journey@example.com';
    await twoFactorAccount(world, email);
    const { context, page } = await world.newPage(PHONE);
    const path = () => new URL(page.url()).pathname;

    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(path).toBe('/account/send-code');
    await page.getByRole('button', { name: 'Cancel sign-in' }).click();
    await expect.poll(path).toBe('/account/login');
    await page.goto('/account/send-code');
    expect(path()).toBe('/account/login');

    await signInWithPassword(page, email, PASSWORD);
    await page.getByLabel('Email a code to c•••@example.com').check();
    await page.getByRole('button', { name: 'Send code' }).click();
    await expect.poll(path).toBe('/account/verify-code');
    await page.getByRole('button', { name: 'Cancel sign-in' }).click();
    await expect.poll(path).toBe('/account/login');
    await page.goto('/account/verify-code');
    expect(path()).toBe('/account/login');
    await page.goto('/manage');
    expect(path()).toBe('/account/login');
    await context.close();
  });
});
