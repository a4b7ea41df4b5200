import pino from 'pino';
import request from 'supertest';
import { inject } from 'vitest';
import { createApp } from '../../src/app.js';
import { createServices, type Overrides, type Services } from '../../src/composition.js';
import { loadConfig, type Env } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { openTestDatabase } from './test-databases.js';

export type Agent = ReturnType<typeof request.agent>;

/** A clock tests can move: `clock.advance(ms)`. */
export function createTestClock(start = Date.now()) {
  let now = start;
  const clock = () => new Date(now);
  clock.advance = (ms: number) => {
    now += ms;
  };
  clock.set = (ms: number) => {
    now = ms;
  };
  return clock;
}

export interface WorldOptions {
  env?: Env;
  overrides?: Omit<Overrides, 'db' | 'migrated'>;
}

export interface World {
  services: Services;
  app: ReturnType<typeof createApp>['app'];
  sessionStore: ReturnType<typeof createApp>['sessionStore'];
  knex: Services['db']['knex'];
  /** A browser: an agent that keeps cookies. */
  agent(): Agent;
  close(): Promise<void>;
}

/**
 * Builds the whole app on a fresh, migrated database of its own (PGlite, or a database on the
 * server when DATABASE_URL is set), with real services. One per test file, in beforeAll.
 */
export async function setup(options: WorldOptions = {}): Promise<World> {
  const testDb = await openTestDatabase({ template: inject('pgTemplate'), snapshot: inject('pgliteSnapshot') });
  return worldOn(testDb.db, { DATA_DIR: '/nonexistent', APP_BASE_URL: 'http://gatehouse.test' }, options, () => testDb.dispose());
}

/** The whole app with real services on a database the caller opened (and `dispose` closes). */
export async function worldOn(db: Database, env: Env, options: WorldOptions, dispose: () => Promise<void>): Promise<World> {
  // Every request of a test comes from one address, and most files register more accounts than
  // the per-IP registration limit allows in an hour: lifted here, and tested with its real
  // settings in test/security/d-registration-flood.test.ts.
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REGISTER_ATTEMPTS_PER_IP: '1000', ...env, ...options.env });
  const services = await createServices(config, {
    appSecret: 'test-secret-test-secret-test-secret-0123456789',
    logger: pino({ level: 'silent' }),
    ...options.overrides,
    db,
    migrated: true,
  });
  const { app, sessionStore } = createApp(services);
  return {
    services,
    app,
    sessionStore,
    knex: db.knex,
    agent: () => request.agent(app),
    async close() {
      await services.outbox.drain();
      await dispose();
    },
  };
}

/** The CSRF token on a page (every form carries one). */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1];
}

export async function getCsrf(agent: Agent, path: string): Promise<string> {
  const res = await agent.get(path);
  return csrfFrom(res.text);
}

/** Posts a form the way a browser does: fetches the page for its token first. */
export async function postForm(agent: Agent, path: string, fields: Record<string, string>, formPath = path) {
  const _csrf = await getCsrf(agent, formPath);
  return agent
    .post(path)
    .type('form')
    .send({ ...fields, _csrf });
}

export function demoLinkFrom(html: string): string {
  const match = /<a data-demo-link[^>]*href="([^"]+)"/.exec(html);
  if (!match) throw new Error('no demo link on the page');
  return match[1].replace(/&amp;/g, '&');
}

/** Path and query of an absolute link from an email (the app's base URL is http://gatehouse.test). */
export const localPath = (link: string) => {
  const u = new URL(link);
  return u.pathname + u.search;
};

export const PASSWORD = 'correct horse battery staple';

/**
 * Follows a confirmation link the way a person does: opening it only shows a button (so a mail
 * scanner that fetches links confirms nothing); pressing the button posts the form it carries.
 */
export async function confirmByButton(agent: Agent, path: string) {
  const page = await agent.get(path);
  const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page.text)?.[1]?.replace(/&amp;/g, '&');
  if (page.status !== 200 || !/<form method="post" action="\/account\/confirm-email"/.test(page.text)) {
    throw new Error(`no confirmation button: ${page.status} ${page.text.slice(0, 200)}`);
  }
  return agent
    .post('/account/confirm-email')
    .type('form')
    .send({ userId: hidden('userId') ?? '', code: hidden('code') ?? '', _csrf: hidden('_csrf') ?? '' });
}

/**
 * Confirms with a link's query as it is, malformed or not: opens the link, and when it shows
 * the button, posts the same query string as the form body (arrays, repeats and odd bytes
 * reach the POST as they would from a tampered form). A page without the button is returned.
 */
export async function confirmWithQuery(agent: Agent, query: string) {
  const page = await agent.get(`/account/confirm-email?${query}`);
  if (page.status !== 200) return page;
  return agent
    .post('/account/confirm-email')
    .type('form')
    .send(`${query}&_csrf=${encodeURIComponent(csrfFrom(page.text))}`);
}

/** Registers and confirms an account through the real pages; returns its email. */
export async function registerConfirmed(world: World, email: string, password = PASSWORD): Promise<string> {
  const agent = world.agent();
  const res = await postForm(agent, '/account/register', { email, password, confirmPassword: password });
  if (res.status !== 200) throw new Error(`register failed: ${res.status}`);
  const confirm = await confirmByButton(agent, localPath(demoLinkFrom(res.text)));
  if (confirm.status !== 200) throw new Error(`confirm failed: ${confirm.status}`);
  return email;
}

/** A signed-in browser. */
export async function signedInAgent(world: World, email: string, password = PASSWORD): Promise<Agent> {
  const agent = world.agent();
  const res = await postForm(agent, '/account/login', { email, password }, '/account/login');
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status} ${res.text.slice(0, 200)}`);
  return agent;
}
