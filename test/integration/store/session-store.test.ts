import type session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setup, type World } from '../../helpers/setup.js';

let world: World;
beforeAll(async () => {
  world = await setup();
});
afterAll(() => world.close());

const call = <T>(fn: (cb: (err?: unknown, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
const sessionData = (fields: Record<string, unknown>) =>
  ({ cookie: { originalMaxAge: null, path: '/' }, ...fields }) as unknown as session.SessionData;
const stored = async (sid: string) => (await world.knex('sessions').where({ sid }).first())?.data;

describe('the session store', () => {
  it('writes a session once when it is saved again unchanged, as a sign-in saves it', async () => {
    const store = world.sessionStore;
    await call((cb) => store.set('same-twice', sessionData({ step: 1 }), cb));
    await world
      .knex('sessions')
      .where({ sid: 'same-twice' })
      .update({ data: { marker: 'untouched' } });
    await call((cb) => store.set('same-twice', sessionData({ step: 1 }), cb));
    expect(await stored('same-twice')).toEqual({ marker: 'untouched' });
  });

  it('writes it again after reading it back, in case another instance changed it meanwhile', async () => {
    const store = world.sessionStore;
    await call((cb) => store.set('changed-elsewhere', sessionData({ step: 1 }), cb));
    await world
      .knex('sessions')
      .where({ sid: 'changed-elsewhere' })
      .update({ data: sessionData({ step: 2 }) });
    expect(await call<session.SessionData | null>((cb) => store.get('changed-elsewhere', cb))).toMatchObject({ step: 2 });
    await call((cb) => store.set('changed-elsewhere', sessionData({ step: 1 }), cb));
    expect(await stored('changed-elsewhere')).toMatchObject({ step: 1 });
  });
});
