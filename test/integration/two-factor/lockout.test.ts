import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock, setup, type World } from '../../helpers/setup.js';
import {
  auditCount,
  clearSignInThrottle,
  latestCode,
  passwordStep,
  PHONE_E164,
  relaxedSendLimits,
  sendCode,
  twoFactorAccount,
  userByEmail,
  verifyCode,
  wrongFor,
} from '../../helpers/two-factor.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  world = await setup({ env: relaxedSendLimits, overrides: { clock } });
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

/** A browser that passed the password step and had a code texted; returns it with the code. */
async function pendingWithCode(email: string) {
  const { agent } = await passwordStep(world, email);
  const sent = await sendCode(agent, 'Phone Code');
  expect(sent.status).toBe(303);
  return { agent, code: await latestCodeFor(email) };
}

async function latestCodeFor(email: string) {
  const user = await userByEmail(world, email);
  const row = await world.knex('outbox').where({ user_id: user.id, purpose: 'TwoFactor' }).orderBy('id', 'desc').first();
  return row.secret as string;
}

describe('two-factor lockout', () => {
  it('locks the account for five minutes after five wrong codes, everywhere, then lets a right code in', async () => {
    const user = await twoFactorAccount(world, 'ada@example.com');
    // Two more pending sign-ins, started before the lock in other browsers.
    const other = await pendingWithCode('ada@example.com');
    const third = await pendingWithCode('ada@example.com');
    const { agent, code } = await pendingWithCode('ada@example.com');
    for (let i = 1; i <= 4; i++) {
      const res = await verifyCode(agent, { code: wrongFor(code, i) });
      expect(res.text).toContain('Invalid code.');
    }
    const fifth = await verifyCode(agent, { code: wrongFor(code, 5) });
    expect(fifth.status).toBe(200);
    expect(fifth.text).toContain('Locked out');
    expect(fifth.text).toContain('This account has been locked out, please try again later.');

    const locked = await userByEmail(world, 'ada@example.com');
    expect(locked.lockoutEnd!.getTime()).toBe(clock().getTime() + 5 * 60_000);
    expect(locked.accessFailedCount).toBe(0);
    expect(await auditCount(world, 'LockedOut', user.id)).toBe(1);
    expect(await auditCount(world, 'TwoFactorFailed', user.id)).toBe(5);

    // The pending sign-in is void, and the right code no longer works anywhere.
    expect((await verifyCode(agent, { code })).text).toContain('Your sign-in has expired');
    expect((await verifyCode(other.agent, { code })).text).toContain('Locked out');
    expect((await sendCode(third.agent, 'Phone Code')).text).toContain('Locked out');
    const fresh = await passwordStep(world, 'ada@example.com');
    expect(fresh.res.text).toContain('Locked out');
    expect((await other.agent.get('/manage')).status).toBe(302);

    clock.advance(5 * 60_000 + 1_000);
    const after = await pendingWithCode('ada@example.com');
    const ok = await verifyCode(after.agent, { code: after.code });
    expect(ok.status).toBe(303);
    expect((await after.agent.get('/manage')).status).toBe(200);
  });

  it('keeps counting across fresh password steps; the password alone clears nothing', async () => {
    await twoFactorAccount(world, 'bob@example.com');
    const first = await pendingWithCode('bob@example.com');
    for (let i = 1; i <= 2; i++) await verifyCode(first.agent, { code: wrongFor(first.code, i) });
    const second = await pendingWithCode('bob@example.com');
    expect((await userByEmail(world, 'bob@example.com')).accessFailedCount).toBe(2);
    // Another browser asks for the newest code before the lock: the right code, for the check below.
    const waiting = await pendingWithCode('bob@example.com');
    for (let i = 1; i <= 2; i++) await verifyCode(second.agent, { code: wrongFor(waiting.code, i) });
    const last = await verifyCode(second.agent, { code: wrongFor(waiting.code, 3) });
    expect(last.text).toContain('Locked out');
    // Locked means locked: the right code is refused too.
    expect((await verifyCode(waiting.agent, { code: waiting.code })).text).toContain('Locked out');
    expect((await waiting.agent.get('/manage')).status).toBe(302);
  });

  it('counts 50 parallel wrong codes exactly: five are checked, the rest refused, nobody signed in', async () => {
    const user = await twoFactorAccount(world, 'eve@example.com');
    const { agent, code } = await pendingWithCode('eve@example.com');
    const _csrf = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/account/login')).text)![1];
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        agent
          .post('/account/verify-code')
          .type('form')
          .send({ _csrf, provider: 'Phone Code', code: wrongFor(code, i + 1) }),
      ),
    );
    const invalid = responses.filter((r) => r.status === 200 && r.text.includes('Invalid code.')).length;
    const locked = responses.filter((r) => r.status === 200 && r.text.includes('Locked out')).length;
    // Requests that arrive after the lockout voided the pending sign-in find none left.
    const expired = responses.filter((r) => r.status === 400 && r.text.includes('Your sign-in has expired')).length;
    expect(invalid + locked + expired).toBe(50);
    expect(invalid).toBe(4);
    // Exactly five codes were checked (the fifth locked); every other attempt was counted as refused.
    expect(await auditCount(world, 'TwoFactorFailed', user.id)).toBe(5);
    expect(await auditCount(world, 'TwoFactorLockedOut', user.id)).toBe(50 - 5 - expired);
    expect(await auditCount(world, 'LockedOut', user.id)).toBe(1);
    const after = await userByEmail(world, 'eve@example.com');
    expect(after.lockoutEnd!.getTime()).toBeGreaterThan(clock().getTime());
    expect(after.accessFailedCount).toBe(0);
    expect(await auditCount(world, 'SignedIn', user.id)).toBe(1); // only the set-up sign-in
    expect((await agent.get('/manage')).status).toBe(302);
    // The right code, after the fact, is refused too.
    expect((await verifyCode(agent, { code })).status).not.toBe(303);
    expect(await world.knex('user_tokens').where({ user_id: user.id, purpose: 'TwoFactor' }).whereNull('consumed_at')).toHaveLength(0);
  });
});

describe('configurable lockout', () => {
  let small: World;
  beforeAll(async () => {
    small = await setup({
      env: { ...relaxedSendLimits, LOCKOUT_MAX_FAILED_ACCESS_ATTEMPTS: '2', LOCKOUT_MINUTES: '15' },
      overrides: { clock },
    });
  });
  afterAll(() => small.close());

  it('locks after the configured number of failures for the configured time', async () => {
    await twoFactorAccount(small, 'cfg@example.com');
    const { agent } = await passwordStep(small, 'cfg@example.com');
    await sendCode(agent, 'Phone Code');
    // Another browser asks for the newest code before the lock: the right code, for the check below.
    const waiting = await passwordStep(small, 'cfg@example.com');
    expect((await sendCode(waiting.agent, 'Phone Code')).status).toBe(303);
    const code = await latestCode(small, PHONE_E164, 'TwoFactor');
    expect((await verifyCode(agent, { code: wrongFor(code) })).text).toContain('Invalid code.');
    expect((await verifyCode(agent, { code: wrongFor(code, 2) })).text).toContain('Locked out');
    const user = await small.services.store.findByEmail(small.knex, 'cfg@example.com');
    expect(user!.lockoutEnd!.getTime()).toBe(clock().getTime() + 15 * 60_000);
    // Locked means locked: the right code is refused too.
    expect((await verifyCode(waiting.agent, { code })).text).toContain('Locked out');
    expect((await waiting.agent.get('/manage')).status).toBe(302);
  });
});
