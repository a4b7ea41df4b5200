/**
 * Issue 14, item 5: session lifetimes (docs/sessions.md).
 * (a) The absolute lifetime counts from the sign-in with the first factor, across every
 *     re-issue of the session (password change, two-factor on/off...), and a POST that
 *     changes nothing rotates nothing: no new stamp, no audit of a change, no notice email,
 *     and the owner's other browsers stay signed in.
 * (b) "Remember me" sessions have an idle timeout and an absolute lifetime of their own
 *     (REMEMBER_ME_IDLE_DAYS, REMEMBER_ME_ABSOLUTE_DAYS), enforced on the server.
 * Time is a fake clock; the idle timeouts hold to within the store's one-minute touch interval.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock, getCsrf, postForm, setup, type Agent, type World } from '../helpers/setup.js';
import {
  clearSignInThrottle,
  demoCodeFrom,
  passwordStep,
  relaxedSendLimits,
  sendCode,
  twoFactorSignIn,
  verifyCode,
} from '../helpers/two-factor.js';
import { account, isSignedIn, PASSWORD, sidFromSetCookie, userRow } from './helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  world = await setup({
    env: {
      ...relaxedSendLimits,
      SESSION_IDLE_MINUTES: '30',
      SESSION_ABSOLUTE_HOURS: '12',
      REMEMBER_ME_IDLE_DAYS: '7',
      REMEMBER_ME_ABSOLUTE_DAYS: '30',
    },
    overrides: { clock },
  });
});
afterAll(() => world.close());
beforeEach(async () => {
  await clearSignInThrottle(world);
  await world.knex('rate_limits').where('key', 'like', 'changepw:%').delete();
});

async function signIn(email: string, rememberMe = false): Promise<Agent> {
  const agent = world.agent();
  const res = await postForm(agent, '/account/login', { email, password: PASSWORD, ...(rememberMe ? { rememberMe: 'true' } : {}) });
  expect(res.status, `sign-in of ${email}`).toBe(303);
  return agent;
}

/** A POST from the Manage page, with this browser's token. */
async function manage(agent: Agent, path: string, fields: Record<string, string> = {}) {
  const _csrf = await getCsrf(agent, '/manage');
  return agent
    .post(path)
    .type('form')
    .send({ ...fields, _csrf });
}

describe('normal sessions', () => {
  it('end after 30 idle minutes', async () => {
    await account(world, 'idle.normal@example.com');
    const agent = await signIn('idle.normal@example.com');
    clock.advance(29 * MINUTE);
    expect(await isSignedIn(agent)).toBe(true);
    clock.advance(31 * MINUTE);
    expect(await isSignedIn(agent)).toBe(false);
  });

  it('end 12 hours after sign-in however busy they are', async () => {
    await account(world, 'busy.normal@example.com');
    const agent = await signIn('busy.normal@example.com');
    for (let step = 1; step <= 28; step++) {
      clock.advance(25 * MINUTE);
      expect(await isSignedIn(agent), `after ${step * 25} minutes`).toBe(true);
    }
    clock.advance(25 * MINUTE);
    expect(await isSignedIn(agent), 'after 725 minutes').toBe(false);
  });
});

describe('"Remember me" sessions', () => {
  it('outlive the 30-minute and 12-hour limits, and end after 7 idle days', async () => {
    await account(world, 'idle.remembered@example.com');
    const agent = await signIn('idle.remembered@example.com', true);
    clock.advance(6 * DAY + 23 * HOUR);
    expect(await isSignedIn(agent), 'after 6 days 23 hours idle').toBe(true);
    clock.advance(7 * DAY + MINUTE);
    expect(await isSignedIn(agent), 'after 7 days 1 minute idle').toBe(false);
  });

  it('end 30 days after sign-in however busy they are, and the row never outlives that', async () => {
    await account(world, 'busy.remembered@example.com');
    const user = await userRow(world, 'busy.remembered@example.com');
    const agent = await signIn('busy.remembered@example.com', true);
    const signedInAt = clock().getTime();
    for (let day = 6; day <= 24; day += 6) {
      clock.advance(6 * DAY);
      expect(await isSignedIn(agent), `after ${day} days`).toBe(true);
    }
    clock.advance(5 * DAY + 23 * HOUR);
    expect(await isSignedIn(agent), 'after 29 days 23 hours').toBe(true);
    const [row] = await world.knex('sessions').where({ user_id: user.id });
    expect(new Date(row.expires).getTime()).toBeLessThanOrEqual(signedInAt + 30 * DAY);
    clock.advance(2 * HOUR);
    expect(await isSignedIn(agent), 'after 30 days 1 hour').toBe(false);
    expect(await world.knex('sessions').where({ user_id: user.id })).toHaveLength(0);
  });

  it('stay remembered across a re-issue, with the lifetimes counted from the first sign-in', async () => {
    await account(world, 'reissue.remembered@example.com');
    const agent = await signIn('reissue.remembered@example.com', true);
    for (let day = 5; day <= 25; day += 5) {
      clock.advance(5 * DAY);
      expect(await isSignedIn(agent), `day ${day}, before the re-issue`).toBe(true);
      const res = await manage(agent, day % 10 ? '/manage/enable-two-factor' : '/manage/disable-two-factor');
      expect(res.status, `day ${day}`).toBe(303);
      expect(await isSignedIn(agent), `day ${day}`).toBe(true);
    }
    clock.advance(5 * DAY + MINUTE);
    expect(await isSignedIn(agent), 'after 30 days 1 minute').toBe(false);
  });
});

describe('the absolute lifetime of a sign-in (issue 14, item 5a)', () => {
  it('is kept through any number of password changes and two-factor switches', async () => {
    await account(world, 'reissue.normal@example.com');
    const agent = await signIn('reissue.normal@example.com');
    let password = PASSWORD;
    for (let step = 1; step <= 28; step++) {
      clock.advance(25 * MINUTE);
      let res;
      if (step % 7 === 0) {
        const next = `${PASSWORD} ${step}`;
        res = await manage(agent, '/manage/change-password', { oldPassword: password, newPassword: next, confirmPassword: next });
        password = next;
      } else {
        res = await manage(agent, step % 2 ? '/manage/enable-two-factor' : '/manage/disable-two-factor');
      }
      expect(res.status, `step ${step}`).toBe(303);
      expect(await isSignedIn(agent), `after ${step * 25} minutes`).toBe(true);
    }
    clock.advance(25 * MINUTE);
    expect(await isSignedIn(agent), '12 hours and 5 minutes after the sign-in').toBe(false);
  });

  it('counts, with two-factor, from the password step, not from the code', async () => {
    await account(world, 'first.factor@example.com', { twoFactor: true });
    const { agent } = await passwordStep(world, 'first.factor@example.com');
    clock.advance(4 * MINUTE);
    const sent = await sendCode(agent, 'Phone Code');
    const code = demoCodeFrom((await agent.get(sent.headers.location)).text);
    expect((await verifyCode(agent, { provider: 'Phone Code', code })).status).toBe(303);
    for (let step = 1; step <= 28; step++) {
      clock.advance(25 * MINUTE);
      expect(await isSignedIn(agent), `after ${step * 25 + 4} minutes`).toBe(true);
    }
    // 12 hours and 1 minute after the password (11 hours 57 minutes after the code).
    clock.advance(17 * MINUTE);
    expect(await isSignedIn(agent)).toBe(false);
  });

  it('is not extended by a POST that changes nothing', async () => {
    await account(world, 'noop.alive@example.com');
    const agent = await signIn('noop.alive@example.com');
    for (let step = 1; step <= 28; step++) {
      clock.advance(25 * MINUTE);
      expect((await manage(agent, '/manage/remove-phone-number')).status).toBe(303);
    }
    clock.advance(25 * MINUTE);
    expect(await isSignedIn(agent), '12 hours and 5 minutes after the sign-in').toBe(false);
  });
});

describe('a POST that changes nothing (issue 14, item 5a)', () => {
  it('rotates nothing, records no change, mails nothing, and the owner stays signed in everywhere', async () => {
    const user = await account(world, 'noop@example.com');
    const here = await signIn('noop@example.com');
    const elsewhere = await signIn('noop@example.com');
    const count = async (table: string) => Number((await world.knex(table).count<{ n: number }[]>('* as n'))[0].n);
    const before = {
      user: await userRow(world, 'noop@example.com'),
      outbox: await count('outbox'),
      audit: await world.knex('audit_events').where({ user_id: user.id }).pluck('event_type'),
    };
    for (const [path, fields] of [
      ['/manage/remove-phone-number', {}],
      ['/manage/disable-two-factor', {}],
      ['/manage/forget-browser', {}],
      ['/manage/remove-login', { loginProvider: 'Google', providerKey: 'g-nobody' }],
    ] as const) {
      const res = await manage(here, path, fields);
      expect(res.status, path).toBe(303);
      expect(sidFromSetCookie(res), `${path} re-issued the session`).toBeUndefined();
      expect(await isSignedIn(elsewhere), `${path} signed the other browser out`).toBe(true);
      expect(await isSignedIn(here), path).toBe(true);
    }
    const after = {
      user: await userRow(world, 'noop@example.com'),
      outbox: await count('outbox'),
      audit: await world.knex('audit_events').where({ user_id: user.id }).pluck('event_type'),
    };
    expect(after.user.security_stamp).toBe(before.user.security_stamp);
    expect(after.outbox).toBe(before.outbox);
    // Refusals are still recorded (removing a login the account does not have); changes are not.
    const changes = (types: string[]) => types.filter((t) => !t.endsWith('Refused'));
    expect(changes(after.audit)).toEqual(changes(before.audit));
  });

  it('turning two-factor on when it is on already changes nothing either', async () => {
    await account(world, 'noop.on@example.com', { twoFactor: true });
    const before = await userRow(world, 'noop.on@example.com');
    const { agent: here } = await twoFactorSignIn(world, 'noop.on@example.com');
    const { agent: elsewhere } = await twoFactorSignIn(world, 'noop.on@example.com');
    const outbox = Number((await world.knex('outbox').count<{ n: number }[]>('* as n'))[0].n);
    const res = await manage(here, '/manage/enable-two-factor');
    expect(res.status).toBe(303);
    expect((await userRow(world, 'noop.on@example.com')).security_stamp).toBe(before.security_stamp);
    expect(Number((await world.knex('outbox').count<{ n: number }[]>('* as n'))[0].n)).toBe(outbox);
    expect(await isSignedIn(elsewhere)).toBe(true);
  });
});
