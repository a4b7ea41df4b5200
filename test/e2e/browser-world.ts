import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/browser.js';
import { setup, type World, type WorldOptions } from '../helpers/setup.js';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const screenshotDir = path.resolve(import.meta.dirname, 'screenshots');
const docsDir = path.resolve(import.meta.dirname, '../../docs/screenshots');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

export interface BrowserWorldOptions extends WorldOptions {
  /**
   * Builds the world on the given options (APP_BASE_URL already set to this server's address).
   * The default is a fresh database of this file's own (test/helpers/setup.ts); a journey that
   * needs the database prepared first (the admin CLI) brings its own.
   */
  open?: (options: WorldOptions) => Promise<World>;
}

export interface BrowserWorld extends World {
  baseUrl: string;
  browser: Browser;
  newPage(viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
  dispose(): Promise<void>;
}

/** The real app on a real port (its base URL is the one links in emails use), and Chromium. */
export async function startBrowserWorld({ open = setup, ...options }: BrowserWorldOptions = {}): Promise<BrowserWorld> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const baseUrl = `http://localhost:${port}`;
  const world = await open({ ...options, env: { APP_BASE_URL: baseUrl, ...options.env } });
  server.on('request', world.app);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  return {
    ...world,
    baseUrl,
    browser,
    async newPage(viewport = DESKTOP) {
      const context = await browser.newContext({ viewport, baseURL: baseUrl, javaScriptEnabled: true });
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      return { context, page };
    },
    async dispose() {
      await browser.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await world.close();
    },
  };
}

/**
 * Looks at the page as a person would: a screenshot (kept under test/e2e/screenshots, and under
 * docs/screenshots when `docs` is set), and an axe-core check with no serious or critical
 * violations. For docs, a demo code on the page is shown as 123456, so that the committed
 * picture is the same on every run (read the real code before calling this).
 */
export async function checkPage(page: Page, name: string, options: { docs?: boolean } = {}): Promise<void> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  const file = `${name}-${width}.png`;
  if (options.docs) {
    await page.locator('[data-demo-code]').evaluateAll((nodes) => nodes.forEach((n) => (n.textContent = '123456')));
  }
  await page.screenshot({ path: path.join(screenshotDir, file), fullPage: true });
  if (options.docs) {
    fs.mkdirSync(docsDir, { recursive: true });
    fs.copyFileSync(path.join(screenshotDir, file), path.join(docsDir, file));
  }
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as {
        axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> };
      }
    ).axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations, `${name} at ${width}px`).toEqual([]);
  // Nothing wider than the screen: the page works on a phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
}

/**
 * A key page, at a phone's width and at a desktop's (the desktop picture goes to docs when
 * `docs` is set); the page is left at the width it had.
 */
export async function checkPhoneAndDesktop(page: Page, name: string, options: { docs?: boolean } = {}): Promise<void> {
  const before = page.viewportSize() ?? PHONE;
  await page.setViewportSize(PHONE);
  await checkPage(page, name);
  await page.setViewportSize(DESKTOP);
  await checkPage(page, name, options);
  await page.setViewportSize(before);
}

/** Fills and posts the Log in form (from wherever the browser is). */
export async function signInWithPassword(page: Page, email: string, password: string, options: { rememberMe?: boolean } = {}) {
  if (!page.url().includes('/account/login')) await page.goto('/account/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  if (options.rememberMe) await page.getByLabel('Remember me?').check();
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForLoadState();
}

/** The Log off button in the navigation bar; the browser ends on the home page. */
export async function logOff(page: Page, baseUrl: string) {
  await page.getByRole('button', { name: 'Log off' }).click();
  await expect.poll(() => page.url()).toBe(`${baseUrl}/`);
}
