import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCsrf, registerConfirmed, setup, signedInAgent, PASSWORD, type World } from '../helpers/setup.js';

// The session store is the first and the last thing a request asks of the database. When a read
// or a write fails there, the page says 503, and the client is told neither that it is signed in
// when it is not, nor signed out when it was not.
let world: World;
beforeAll(async () => {
  world = await setup();
  await registerConfirmed(world, 'last-write@example.com');
  await registerConfirmed(world, 'reader@example.com');
});
afterAll(() => world.close());

/** The session store's next write fails as it does when the connection drops. */
function failNextSessionWrite() {
  const store = world.sessionStore;
  const set = store.set.bind(store);
  store.set = (_sid, _sess, callback) => {
    store.set = set;
    callback?.(Object.assign(new Error('Connection terminated unexpectedly'), { code: undefined }));
  };
}

/** The session store's next read fails as it does when a query times out. */
function failNextSessionRead() {
  const store = world.sessionStore;
  const get = store.get.bind(store);
  store.get = (_sid, callback) => {
    store.get = get;
    callback(Object.assign(new Error('select "data" from "sessions" ... - Query read timeout'), { code: undefined }));
  };
}

describe('when the session cannot be read', () => {
  it('answers 503 and keeps the session: the next request is still signed in', async () => {
    const browser = await signedInAgent(world, 'reader@example.com');
    failNextSessionRead();
    const failed = await browser.get('/manage');
    expect(failed.status).toBe(503);
    expect((await browser.get('/manage')).status).toBe(200);
  });
});

describe('when the session cannot be stored at sign-in', () => {
  it('answers 503 instead of a redirect that leaves the user signed out, and a retry signs in', async () => {
    const browser = world.agent();
    const _csrf = await getCsrf(browser, '/account/login');
    failNextSessionWrite();
    const failed = await browser.post('/account/login').type('form').send({ email: 'last-write@example.com', password: PASSWORD, _csrf });
    expect(failed.status).toBe(503);
    expect(failed.text).toContain('cannot reach its database');

    // Nothing half-done: the browser is not signed in, and no session row names the user.
    expect((await browser.get('/manage')).status).toBe(302);
    const user = await world.knex('users').where({ email: 'last-write@example.com' }).first();
    expect(await world.knex('sessions').where({ user_id: user.id })).toHaveLength(0);

    // The form is fetched again first, as a browser does: the agent attaches its cookies when
    // a request is built, and the failed attempt dropped the visitor's CSRF cookie.
    const _csrfAgain = await getCsrf(browser, '/account/login');
    const retry = await browser
      .post('/account/login')
      .type('form')
      .send({ email: 'last-write@example.com', password: PASSWORD, _csrf: _csrfAgain });
    expect(retry.status).toBe(303);
    expect((await browser.get('/manage')).status).toBe(200);
  });
});
