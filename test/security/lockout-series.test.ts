/**
 * Issue 14, item 9: no ceiling on two-factor guessing.
 *
 * Five wrong codes lock the account; before this fix every lockout lasted five minutes and
 * reset the count, so an attacker who has the password got 5 guesses every 5 minutes for ever
 * (1,440 a day). Now each lockout in a row lasts longer (LOCKOUT_MINUTES=5,15,60,240, the last
 * repeating), the owner is mailed at the second lockout in a row, and only a complete sign-in
 * (both factors) starts the series again. Fake clock, both databases.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateSecurityCode } from '../../src/identity/security-code-sender.js';
import { createTestClock, setup, type Agent, type World } from '../helpers/setup.js';
import {
  auditCount,
  clearSignInThrottle,
  latestCode,
  passwordStep,
  PHONE_E164,
  relaxedSendLimits,
  sendCode,
  userByEmail,
  verifyCode,
  wrongFor,
} from '../helpers/two-factor.js';
import { account, PASSWORD, userRow } from './helpers.js';

const MINUTE = 60_000;
const clock = createTestClock(Date.UTC(2026, 10, 28, 12));
let world: World;

beforeAll(async () => {
  world = await setup({ env: relaxedSendLimits, overrides: { clock } });
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

/** A browser past the password step with a code texted to it; the code. */
async function pending(email: string): Promise<{ agent: Agent; code: string }> {
  await clearSignInThrottle(world);
  const { agent, res } = await passwordStep(world, email);
  expect(res.status).toBe(303);
  const sent = await sendCode(agent, 'Phone Code');
  expect(sent.status).toBe(303);
  return { agent, code: await latestCode(world, PHONE_E164, 'TwoFactor') };
}

/** Five wrong codes: the fifth locks. */
async function lockOut(email: string) {
  const { agent, code } = await pending(email);
  for (let i = 1; i <= 4; i++) expect((await verifyCode(agent, { code: wrongFor(code, i) })).text).toContain('Invalid code.');
  expect((await verifyCode(agent, { code: wrongFor(code, 5) })).text).toContain('Locked out');
}

/** A code that is right in every way but the lockout: issued now, for this user, phone and stamp. */
async function rightCode(email: string) {
  const user = await userByEmail(world, email);
  return world.services.tokens.issue(world.knex, {
    userId: user.id,
    purpose: 'TwoFactor',
    target: PHONE_E164,
    securityStamp: user.securityStamp,
    ttlMs: 6 * MINUTE,
    secret: generateSecurityCode(),
  });
}

/**
 * While locked, the right code is refused (and not used up) in a sign-in that was waiting at
 * Verify Code, and a new password step is refused until the last second; then it passes.
 */
async function expectLockedFor(email: string, minutes: number, waiting: Agent) {
  const user = await userByEmail(world, email);
  expect(user.lockoutEnd!.getTime() - clock().getTime()).toBe(minutes * MINUTE);
  clock.advance(MINUTE);
  const code = await rightCode(email);
  const refused = await verifyCode(waiting, { code });
  expect(refused.status).toBe(200);
  expect(refused.text).toContain('Locked out');
  expect(await world.knex('user_tokens').where({ user_id: user.id, purpose: 'TwoFactor' }).whereNull('consumed_at')).toHaveLength(1);
  clock.advance((minutes - 1) * MINUTE - 1_000);
  await clearSignInThrottle(world);
  expect((await passwordStep(world, email)).res.text).toContain('Locked out');
  clock.advance(2_000);
  expect((await passwordStep(world, email)).res.status).toBe(303);
}

const notices = async (email: string) => world.knex('outbox').where({ recipient: email, purpose: 'LockoutNotice' });

describe('item 9: each two-factor lockout in a row lasts longer', () => {
  it('lockouts 1..5 last 5, 15, 60, 240 and 240 minutes; the right code is refused while locked; one notice mail at the second', async () => {
    const email = 'series@example.com';
    const user = await account(world, email, { twoFactor: true });
    // A sign-in waiting at Verify Code in another browser: the lockout must hold there too.
    const expected = [5, 15, 60, 240, 240];
    for (const [index, minutes] of expected.entries()) {
      const waiting = (await pending(email)).agent;
      await lockOut(email);
      expect((await userRow(world, email)).lockout_series).toBe(index + 1);
      await expectLockedFor(email, minutes, waiting);
      expect(await notices(email), `notices after lockout ${index + 1}`).toHaveLength(index === 0 ? 0 : 1);
    }
    const [notice] = await notices(email);
    expect(notice).toMatchObject({ channel: 'email', user_id: user.id, secret: null });
    expect(`${notice.subject} ${notice.body}`).toMatch(/locked/i);
    expect(await auditCount(world, 'LockedOut', user.id)).toBe(5);
  });

  it('the lockout page says how long it lasts and offers the ways on (issue 10 item 4)', async () => {
    const email = 'page@example.com';
    await account(world, email, { twoFactor: true });
    const { agent, code } = await pending(email);
    for (let i = 1; i <= 4; i++) await verifyCode(agent, { code: wrongFor(code, i) });
    const locked = await verifyCode(agent, { code: wrongFor(code, 5) });
    expect(locked.text).toContain('This account has been locked out, please try again later.');
    expect(locked.text).toContain('You can try again in 5 minutes.');
    expect(locked.text).toContain('href="/account/login"');
    expect(locked.text).toContain('href="/account/forgot-password"');
    // The password step during the lockout shows the time left.
    clock.advance(2 * MINUTE);
    await clearSignInThrottle(world);
    const again = await passwordStep(world, email);
    expect(again.res.text).toContain('You can try again in 3 minutes.');
    clock.advance(3 * MINUTE);
  });

  it('only a complete sign-in starts the series again: an admin unlock and a password reset end the lockout, not the series', async () => {
    const email = 'reset-series@example.com';
    const user = await account(world, email, { twoFactor: true });
    await lockOut(email);
    clock.advance(5 * MINUTE + 1_000);
    await lockOut(email);
    expect((await userByEmail(world, email)).lockoutEnd!.getTime() - clock().getTime()).toBe(15 * MINUTE);

    // The administrator ends the lockout: the owner can try again at once, but the series stands.
    await world.services.users.unlock(user.id);
    expect((await userByEmail(world, email)).lockoutEnd).toBeNull();
    await lockOut(email);
    expect((await userByEmail(world, email)).lockoutEnd!.getTime() - clock().getTime()).toBe(60 * MINUTE);
    expect((await userRow(world, email)).lockout_series).toBe(3);

    // The owner resets the password (same password, to keep the helpers simple): the same.
    const { link } = await world.services.passwordReset.sendPasswordResetLink(email);
    const reset = await world.services.passwordReset.resetPassword(user.id, new URL(link!).searchParams.get('code')!, PASSWORD);
    expect(reset.succeeded).toBe(true);
    expect((await userByEmail(world, email)).lockoutEnd).toBeNull();
    await lockOut(email);
    expect((await userByEmail(world, email)).lockoutEnd!.getTime() - clock().getTime()).toBe(240 * MINUTE);
    expect((await userRow(world, email)).lockout_series).toBe(4);

    // The lockout ends; the owner signs in with both factors: the series is over.
    clock.advance(240 * MINUTE + 1_000);
    const { agent, code } = await pending(email);
    expect((await verifyCode(agent, { code })).status).toBe(303);
    expect((await userRow(world, email)).lockout_series).toBe(0);
    await lockOut(email);
    expect((await userByEmail(world, email)).lockoutEnd!.getTime() - clock().getTime()).toBe(5 * MINUTE);
  });

  it('50 parallel wrong codes take the series exactly one step', async () => {
    const email = 'parallel-series@example.com';
    const user = await account(world, email, { twoFactor: true });
    await lockOut(email);
    clock.advance(5 * MINUTE + 1_000);
    const { agent, code } = await pending(email);
    const _csrf = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/account/login')).text)![1];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        agent
          .post('/account/verify-code')
          .type('form')
          .send({ _csrf, provider: 'Phone Code', code: wrongFor(code, i + 1) }),
      ),
    );
    expect((await userRow(world, email)).lockout_series).toBe(2);
    expect((await userByEmail(world, email)).lockoutEnd!.getTime() - clock().getTime()).toBe(15 * MINUTE);
    expect(await auditCount(world, 'LockedOut', user.id)).toBe(2);
    expect(await notices(email)).toHaveLength(1);
  });
});
