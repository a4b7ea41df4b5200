import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeepingTasks, startHousekeeping } from '../../../src/housekeeping.js';
import { createTestClock, setup, type World } from '../../helpers/setup.js';

const MINUTE = 60_000;
const clock = createTestClock(Date.UTC(2026, 10, 28, 12));
let world: World;

beforeAll(async () => {
  world = await setup({ overrides: { clock } });
});
afterAll(() => world.close());

const now = () => clock().getTime();
const at = (offsetMs: number) => new Date(now() + offsetMs);

let serial = 0;

async function seedRows() {
  const { knex, services } = world;
  const n = ++serial;
  const user = await services.store.create(knex, { email: `keeper-${n}@example.com`, passwordHash: null });
  const row = { user_id: user.id, created_at: at(-10 * MINUTE) };
  await knex('sessions').insert([
    { sid: `live-${n}`, user_id: user.id, data: {}, expires: at(MINUTE) },
    { sid: `gone-${n}`, user_id: user.id, data: {}, expires: at(-MINUTE) },
  ]);
  await knex('rate_limits').insert([
    { key: `live-${n}`, count: 3, window_start: at(-MINUTE), expires_at: at(MINUTE) },
    { key: `gone-${n}`, count: 3, window_start: at(-20 * MINUTE), expires_at: at(-MINUTE) },
  ]);
  const browser = { ...row, user_agent: null, last_seen_at: at(-MINUTE) };
  await knex('remembered_browsers').insert([
    { ...browser, token_hash: `live-${n}`, security_stamp: user.securityStamp, expires_at: at(MINUTE) },
    { ...browser, token_hash: `expired-${n}`, security_stamp: user.securityStamp, expires_at: at(-MINUTE) },
    { ...browser, token_hash: `old-stamp-${n}`, security_stamp: 'a stamp the user no longer has', expires_at: at(MINUTE) },
  ]);
  const token = { ...row, purpose: 'PasswordReset', target: null, security_stamp: user.securityStamp };
  await knex('user_tokens').insert([
    { ...token, token_hash: `live-${n}`, expires_at: at(MINUTE) },
    { ...token, token_hash: `expired-${n}`, expires_at: at(-MINUTE) },
    { ...token, token_hash: `used-and-expired-${n}`, expires_at: at(-MINUTE), consumed_at: at(-5 * MINUTE) },
  ]);
  return user;
}

const left = async (table: string, userId: string, column: string) =>
  (await world.knex(table).where({ user_id: userId }).pluck(column)).map((v: string) => v.replace(/-\d+$/, '')).sort();

describe('housekeeping', () => {
  it('deletes only rows nothing can use again: timed-out sessions, ended windows, dead remembered browsers, expired tokens', async () => {
    const user = await seedRows();
    const housekeeping = startHousekeeping(housekeepingTasks(world.services, world.sessionStore), pino({ level: 'silent' }));
    try {
      const deleted = await housekeeping.run();
      expect(deleted).toEqual({
        sessions: 1,
        rateLimits: 1,
        rememberedBrowsers: 2,
        tokens: 2,
        outboxSecrets: 0,
        outbox: 0,
        unconfirmedAccounts: 0,
      });
    } finally {
      housekeeping.stop();
    }
    expect(await left('sessions', user.id, 'sid')).toEqual(['live']);
    expect((await world.knex('rate_limits').pluck('key')).map((k: string) => k.replace(/-\d+$/, ''))).toEqual(['live']);
    expect(await left('remembered_browsers', user.id, 'token_hash')).toEqual(['live']);
    expect(await left('user_tokens', user.id, 'token_hash')).toEqual(['live']);
  });

  it('runs the other tasks when one fails, and a second run finds nothing more', async () => {
    await seedRows();
    const tasks = {
      broken: () => Promise.reject(new Error('database unavailable')),
      ...housekeepingTasks(world.services, world.sessionStore),
    };
    const housekeeping = startHousekeeping(tasks, pino({ level: 'silent' }));
    try {
      expect(await housekeeping.run()).toEqual({
        sessions: 1,
        rateLimits: 1,
        rememberedBrowsers: 2,
        tokens: 2,
        outboxSecrets: 0,
        outbox: 0,
        unconfirmedAccounts: 0,
      });
      expect(await housekeeping.run()).toEqual({
        sessions: 0,
        rateLimits: 0,
        rememberedBrowsers: 0,
        tokens: 0,
        outboxSecrets: 0,
        outbox: 0,
        unconfirmedAccounts: 0,
      });
    } finally {
      housekeeping.stop();
    }
  });
});
