/**
 * Issue 14, item 6: a crawler costs no database writes. Every cookie-less request used to
 * write a session row (the CSRF token was made and stored in a new session on every request).
 * Visitors' forms now carry a signed double-submit token (docs/sessions.md), and the
 * session-bound token is used only once a session exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { csrfFrom, getCsrf, setup, type World } from '../helpers/setup.js';
import { clearSignInThrottle } from '../helpers/two-factor.js';
import { account, cookiePair, isSignedIn, PASSWORD, setCookies } from './helpers.js';

let world: World;
beforeAll(async () => {
  world = await setup();
  await account(world, 'visitor.owner@example.com');
});
afterAll(() => world.close());

/** Rows in every table of the app's schema (a crawler must add none, anywhere). */
async function rowsPerTable() {
  const tables = await world
    .knex('information_schema.tables')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' })
    .pluck('table_name');
  const counts: Record<string, number> = {};
  for (const table of tables as string[]) {
    counts[table] = Number((await world.knex(table).count<{ n: number }[]>('* as n'))[0].n);
  }
  return counts;
}

const PAGES = [
  '/',
  '/health',
  '/css/site.css',
  '/no-such-page',
  '/account/login',
  '/account/register',
  '/account/forgot-password',
  '/manage',
];

describe('anonymous GETs (a crawler)', () => {
  it('write no session row, and no row anywhere, in 1,000 requests over pages, forms, 404s, /health and /css', async () => {
    const before = await rowsPerTable();
    const sessionsBefore = before.sessions;
    const statuses = new Map<string, number>();
    let sessionCookies = 0;
    for (let i = 0; i < 1000; i++) {
      const path = PAGES[i % PAGES.length];
      const res = await request(world.app).get(path);
      statuses.set(path, res.status);
      sessionCookies += setCookies(res).filter((c) => c.startsWith('gatehouse.sid=')).length;
    }
    expect(Object.fromEntries(statuses)).toEqual({
      '/': 200,
      '/health': 200,
      '/css/site.css': 200,
      '/no-such-page': 404,
      '/account/login': 200,
      '/account/register': 200,
      '/account/forgot-password': 200,
      '/manage': 302,
    });
    const after = await rowsPerTable();
    expect(after.sessions - sessionsBefore, 'session rows written per 1,000 anonymous GETs').toBe(0);
    expect(after).toEqual(before);
    // No session cookie either: nothing was stored that it could point to.
    expect(sessionCookies).toBe(0);
  });

  it('still give every form a token, and a page without a form sets no cookie at all', async () => {
    for (const path of ['/account/login', '/account/register', '/account/forgot-password']) {
      const res = await request(world.app).get(path);
      expect(csrfFrom(res.text), path).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    }
    for (const path of ['/', '/health', '/no-such-page', '/css/site.css']) {
      expect(setCookies(await request(world.app).get(path)), path).toEqual([]);
    }
  });
});

describe('an anonymous form post', () => {
  const forgot = { email: 'visitor.owner@example.com' };

  it('is accepted with its own token and cookie (control)', async () => {
    const agent = world.agent();
    const _csrf = await getCsrf(agent, '/account/forgot-password');
    expect(
      (
        await agent
          .post('/account/forgot-password')
          .type('form')
          .send({ ...forgot, _csrf })
      ).status,
    ).toBe(200);
  });

  it("is refused with 403 with a token from another visitor's cookie, a missing cookie or a tampered cookie", async () => {
    const outbox = async () => Number((await world.knex('outbox').count<{ n: number }[]>('* as n'))[0].n);
    const before = await outbox();
    const mine = await request(world.app).get('/account/forgot-password');
    const theirs = await request(world.app).get('/account/forgot-password');
    const myCookie = cookiePair(mine, 'gatehouse.csrf')!;
    const theirCookie = cookiePair(theirs, 'gatehouse.csrf')!;
    expect(myCookie).toBeDefined();
    expect(theirCookie).not.toBe(myCookie);
    const myToken = csrfFrom(mine.text);
    const value = myCookie.split('=')[1];
    const tampered = `gatehouse.csrf=${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`;
    const post = (cookie: string | undefined, _csrf: string) => {
      const req = request(world.app).post('/account/forgot-password').type('form');
      if (cookie) req.set('Cookie', cookie);
      return req.send({ ...forgot, _csrf });
    };
    const cases: Array<[string, string | undefined, string]> = [
      ["another visitor's cookie", theirCookie, myToken],
      ['no cookie', undefined, myToken],
      ['a tampered cookie', tampered, myToken],
      ['the cookie as its own token', myCookie, value],
      ['an empty cookie', 'gatehouse.csrf=', myToken],
    ];
    for (const [name, cookie, token] of cases) {
      const res = await post(cookie, token);
      expect(res.status, name).toBe(403);
      expect(res.text, name).toContain('This form has expired or was sent from another site.');
    }
    expect(await outbox()).toBe(before);
    // Control: the pair that belongs together passes.
    expect((await post(myCookie, myToken)).status).toBe(200);
  });

  it('is refused with 403 with a token from before a sign-in, signed in and after sign-off', async () => {
    await clearSignInThrottle(world);
    const agent = world.agent();
    const before = await getCsrf(agent, '/account/login');
    const login = await agent
      .post('/account/login')
      .type('form')
      .send({ email: 'visitor.owner@example.com', password: PASSWORD, _csrf: before });
    expect(login.status).toBe(303);
    expect((await agent.post('/account/log-off').type('form').send({ _csrf: before })).status).toBe(403);
    expect(await isSignedIn(agent)).toBe(true);
    const signedIn = await getCsrf(agent, '/manage');
    expect((await agent.post('/account/log-off').type('form').send({ _csrf: signedIn })).status).toBe(303);
    // Signed off: the visitor token from before the sign-in does not come back to life.
    const res = await agent
      .post('/account/forgot-password')
      .type('form')
      .send({ ...forgot, _csrf: before });
    expect(res.status).toBe(403);
  });
});
