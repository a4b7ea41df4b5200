import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/browser.js';
import { createTestClock, PASSWORD, registerConfirmed } from '../helpers/setup.js';
import { passwordStep, relaxedSendLimits, sendCode, twoFactorAccount, verifyCode, wrongFor } from '../helpers/two-factor.js';
import { DESKTOP, PHONE, signInWithPassword, startBrowserWorld, type BrowserWorld } from './browser-world.js';

/** The narrowest phone still in use: nothing may scroll sideways here. */
const NARROW = { width: 320, height: 640 };
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const docsDir = path.resolve(import.meta.dirname, '../../docs/screenshots');

/** The card's width on each page that has one, per viewport width. */
const cardWidths = new Map<number, Map<string, number>>();

/**
 * One page at 320, 390 and 1280 px: no sideways scroll at any width, axe clean at every impact,
 * the card width noted, and a picture at 390 and 1280 for docs/screenshots. Demo codes are shown
 * as 123456 in the pictures, so they are the same on every run (read the real code first).
 */
async function look(page: Page, name: string): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.locator('[data-demo-code]').evaluateAll((nodes) => nodes.forEach((n) => (n.textContent = '123456')));
  for (const viewport of [NARROW, PHONE, DESKTOP]) {
    await page.setViewportSize(viewport);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect.soft(overflow, `${name} at ${viewport.width}px scrolls sideways`).toBeLessThanOrEqual(0);
    if (viewport === NARROW) continue;
    fs.mkdirSync(docsDir, { recursive: true });
    await page.screenshot({ path: path.join(docsDir, `${name}-${viewport.width}.png`), fullPage: true });
    const cards = page.locator('.auth-card');
    const card = (await cards.count()) ? await cards.first().boundingBox() : null;
    if (card) {
      if (!cardWidths.has(viewport.width)) cardWidths.set(viewport.width, new Map());
      cardWidths.get(viewport.width)!.set(name, Math.round(card.width));
    }
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      type Result = { violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> };
      const result = await (window as unknown as { axe: { run(): Promise<Result> } }).axe.run();
      return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect.soft(violations, `axe on ${name} at ${viewport.width}px`).toEqual([]);
  }
  await page.setViewportSize(DESKTOP);
}

/** WCAG contrast ratio of two `rgb(…)` / `rgba(…)` colours (alpha ignored). */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = css
      .match(/[\d.]+/g)!
      .slice(0, 3)
      .map((n) => {
        const c = Number(n) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Focuses the element as a keyboard user would and reads its focus indicator: the outline (or,
 * failing that, the box-shadow) must be at least 2 px and stand out 3:1 against what is behind it.
 */
async function expectVisibleFocus(page: Page, selector: string) {
  await page.keyboard.press('Tab');
  await page.locator(selector).first().focus();
  const ring = await page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const style = getComputedStyle(el);
      let behind = el.parentElement;
      while (behind && getComputedStyle(behind).backgroundColor.replace(/\s/g, '').endsWith(',0)')) behind = behind.parentElement;
      const background = behind ? getComputedStyle(behind).backgroundColor : 'rgb(255, 255, 255)';
      const outline = style.outlineStyle !== 'none' ? { width: parseFloat(style.outlineWidth), color: style.outlineColor } : null;
      const shadow = /^(rgba?\([^)]*\)).*?(\d+(?:\.\d+)?)px(?:\s+\S+)?\s*$/.exec(style.boxShadow.split('),')[0] + ')');
      return { outline, shadow: style.boxShadow, shadowColor: shadow?.[1], background };
    });
  const width = ring.outline?.width ?? 0;
  const colour = ring.outline?.color ?? ring.shadowColor ?? ring.background;
  expect.soft(width, `${selector}: focus outline width (box-shadow ${ring.shadow})`).toBeGreaterThanOrEqual(2);
  expect.soft(contrast(colour, ring.background), `${selector}: focus ring ${colour} on ${ring.background}`).toBeGreaterThanOrEqual(3);
}

/** The navigation bar's links and buttons sit on one row (their vertical centres agree). */
async function navbarRows(page: Page): Promise<number> {
  return page.evaluate(() => {
    const items = [...document.querySelectorAll('nav.navbar a, nav.navbar button')].filter((e) => (e as HTMLElement).offsetParent);
    const centres = items.map((e) => e.getBoundingClientRect()).map((r) => r.top + r.height / 2);
    return Math.max(...centres) - Math.min(...centres) <= 8 ? 1 : 2;
  });
}

describe.runIf(hasChromium())('layout: one card, no sideways scroll, one-row navbar, visible focus, axe clean', () => {
  let world: BrowserWorld;
  const clock = createTestClock();
  beforeAll(async () => {
    world = await startBrowserWorld({ env: relaxedSendLimits, overrides: { clock } });
  });
  afterAll(() => world?.dispose());

  it('the pages of someone who is not signed in', async () => {
    await registerConfirmed(world, 'reset-me@example.com');
    const { context, page } = await world.newPage(DESKTOP);
    await page.goto('/');
    await look(page, 'home');
    await page.goto('/no/such/page');
    await look(page, 'not-found');
    await page.goto('/account/login');
    await look(page, 'login');
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.textContent('[data-form-error]')).toContain('Invalid login attempt.');
    await look(page, 'login-error');

    await page.goto('/account/register');
    await look(page, 'register');
    await page.getByLabel('Email').fill('new-person@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill('something else entirely');
    await page.getByRole('button', { name: 'Register' }).click();
    await expect.poll(() => page.locator('#field-confirmPassword-error').count()).toBe(1);
    await look(page, 'register-error');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Register' }).click();
    await expect.poll(() => page.locator('a[data-demo-link]').count()).toBe(1);
    await look(page, 'check-email');
    await page.locator('a[data-demo-link]').click();
    await expect.poll(() => page.textContent('main')).toContain('Press the button to confirm');
    await look(page, 'confirm-email-button');
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await expect.poll(() => page.textContent('main')).toContain('Thank you for confirming your email');
    await look(page, 'confirm-email');

    await page.goto('/account/forgot-password');
    await look(page, 'forgot-password');
    await page.getByLabel('Email').fill('reset-me@example.com');
    await page.getByRole('button', { name: 'Email Link' }).click();
    await expect.poll(() => page.locator('a[data-demo-link]').count()).toBe(1);
    await look(page, 'forgot-password-confirmation');
    await page.locator('a[data-demo-link]').click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/reset-password');
    await look(page, 'reset-password');
    await page.getByLabel('Password', { exact: true }).fill(`${PASSWORD} again`);
    await page.getByLabel('Confirm password').fill(`${PASSWORD} again`);
    await page.getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => page.locator('[data-password-reset]').count()).toBe(1);
    await look(page, 'reset-password-confirmation');
    await context.close();
  });

  it('the two-factor sign-in pages, lockout and an expired sign-in', async () => {
    const email = 'layout-two-factor@example.com';
    await twoFactorAccount(world, email);
    const { context, page } = await world.newPage(DESKTOP);
    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/send-code');
    await look(page, 'send-code');
    await page.getByRole('button', { name: 'Send code' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/verify-code');
    const code = (await page.textContent('[data-demo-code]'))!.trim();
    await look(page, 'verify-code');
    await page.getByLabel('Code').fill(wrongFor(code));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.textContent('[data-form-error]')).toBe('Invalid code.');
    // Focus moved to the field to fix, by `autofocus` alone (no script), with the tries left beside it.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('field-code');
    expect(await page.textContent('#field-code-error')).toBe('You have 4 tries left.');
    await look(page, 'verify-code-invalid');

    // The half-signed-in state lasts 5 minutes.
    await page.goto('/account/send-code');
    clock.advance(6 * 60_000);
    await page.getByRole('button', { name: 'Send code' }).click();
    await expect.poll(() => page.locator('[data-sign-in-expired]').count()).toBe(1);
    await look(page, 'sign-in-expired');

    // Five wrong codes lock the account; the right password then meets the lockout page.
    const { agent } = await passwordStep(world, email);
    await sendCode(agent, 'Phone Code');
    for (let i = 1; i <= 5; i++) await verifyCode(agent, { provider: 'Phone Code', code: wrongFor(code, i + 1) });
    await signInWithPassword(page, email, PASSWORD);
    await expect.poll(() => page.locator('[data-lockout]').count()).toBe(1);
    await look(page, 'lockout');
    await context.close();
  });

  it('the account pages, with a long address in the navigation bar', async () => {
    const email = 'someone.with.a.rather.long.name@example.com';
    await twoFactorAccount(world, email);
    await world.knex('users').where({ email }).update({ two_factor_enabled: false });
    const { context, page } = await world.newPage(PHONE);
    await signInWithPassword(page, email, PASSWORD);
    await page.goto('/manage');
    expect.soft(await navbarRows(page), 'navbar rows at 390 px, signed in').toBe(1);
    await expectVisibleFocus(page, 'nav.navbar a.nav-link');
    await expectVisibleFocus(page, 'nav.navbar button');
    await look(page, 'manage');
    await page.getByRole('button', { name: 'Enable two-factor authentication' }).click();
    await expect.poll(() => page.getAttribute('[data-two-factor]', 'data-two-factor')).toBe('enabled');
    await look(page, 'manage-two-factor-enabled');
    for (const [path, name] of [
      ['/manage/change-password', 'change-password'],
      ['/manage/add-phone-number', 'add-phone-number'],
      ['/manage/logins', 'logins'],
    ]) {
      await page.goto(path);
      await look(page, name);
    }
    await page.goto('/manage/add-phone-number');
    await page.getByLabel('Phone Number').fill('+41 79 765 43 21');
    await page.getByRole('button', { name: 'Send verification code' }).click();
    await expect.poll(() => page.locator('[data-demo-code]').count()).toBe(1);
    await look(page, 'verify-phone-number');
    await context.close();
  });

  it('visible focus and a one-row navbar for a visitor', async () => {
    const { context, page } = await world.newPage(PHONE);
    await page.goto('/account/login');
    expect(await navbarRows(page), 'navbar rows at 390 px').toBe(1);
    for (const selector of [
      'nav.navbar a.navbar-brand',
      'nav.navbar a.nav-link',
      'main a',
      '#field-email',
      '#field-rememberMe',
      'main button[type=submit]',
    ]) {
      await expectVisibleFocus(page, selector);
    }
    await context.close();
  });

  it('every card page has one card of one width', () => {
    const pages = ['login', 'login-error', 'register', 'register-error', 'check-email', 'confirm-email-button', 'confirm-email'];
    pages.push('forgot-password', 'forgot-password-confirmation', 'reset-password', 'reset-password-confirmation');
    pages.push('send-code', 'verify-code', 'verify-code-invalid', 'sign-in-expired', 'lockout');
    pages.push('not-found', 'change-password', 'add-phone-number', 'verify-phone-number', 'logins');
    for (const width of [PHONE.width, DESKTOP.width]) {
      const seen = cardWidths.get(width) ?? new Map<string, number>();
      const widths = Object.fromEntries(pages.map((name) => [name, seen.get(name) ?? 0]));
      const expected = width === DESKTOP.width ? 416 : widths.login;
      expect(widths, `card widths at ${width}px`).toEqual(Object.fromEntries(pages.map((name) => [name, expected])));
      expect(expected).toBeGreaterThan(0);
    }
  });
});
