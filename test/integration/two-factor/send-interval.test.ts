/**
 * Issue 10, item 1: a code refused in normal use. The 30-second interval is per destination
 * and holds only while the code last sent there is unused; refused requests count toward no
 * hourly budget; the page keeps the choice and says when the code was sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock, setup, type World } from '../../helpers/setup.js';
import {
  auditCount,
  clearSignInThrottle,
  demoCodeFrom,
  passwordStep,
  PHONE_E164,
  sendCode,
  twoFactorAccount,
  verifyCode,
} from '../../helpers/two-factor.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  world = await setup({ overrides: { clock } });
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

const sent = (recipient: string) =>
  world
    .knex('outbox')
    .where({ recipient, purpose: 'TwoFactor' })
    .then((rows) => rows.length);

describe('the short interval between codes (issue 10)', () => {
  it('lets the owner sign in again at once after using a code, and switch to email right after a phone code', async () => {
    await twoFactorAccount(world, 'grace@example.com');
    clock.advance(31_000);
    // First sign-in: a phone code, used.
    const first = await passwordStep(world, 'grace@example.com');
    const phone = await sendCode(first.agent, 'Phone Code');
    expect(phone.status).toBe(303);
    const page = await first.agent.get(phone.headers.location);
    expect((await verifyCode(first.agent, { provider: 'Phone Code', code: demoCodeFrom(page.text) })).status).toBe(303);

    // Signing in again 5 seconds later: the used code holds up nothing.
    clock.advance(5_000);
    const again = await passwordStep(world, 'grace@example.com');
    expect((await sendCode(again.agent, 'Phone Code')).status).toBe(303);
    // Email right after the (unused) phone code: another destination, not held up.
    clock.advance(2_000);
    expect((await sendCode(again.agent, 'Email Code')).status).toBe(303);
    expect(await sent('grace@example.com')).toBe(1);
    // The email code replaced the phone code, so the phone may be asked again at once too.
    clock.advance(2_000);
    expect((await sendCode(again.agent, 'Phone Code')).status).toBe(303);
    expect(await sent(PHONE_E164)).toBe(3);
    expect(await auditCount(world, 'SecurityCodeRateLimited')).toBe(0);
  });

  it('refuses a second code to the same destination while the first is unused, keeps the choice, and counts the refusal nowhere', async () => {
    await twoFactorAccount(world, 'hedy@example.com');
    clock.advance(31_000);
    const { agent } = await passwordStep(world, 'hedy@example.com');
    expect((await sendCode(agent, 'Email Code')).status).toBe(303);
    const before = await world.knex('rate_limits').where('key', 'like', 'code-send:%').select('key', 'count');

    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      const res = await sendCode(agent, 'Email Code');
      expect(res.status).toBe(429);
      expect(res.text).toContain(`A code was sent ${i + 1} second${i ? 's' : ''} ago; you can ask again in ${29 - i} seconds.`);
      expect(res.text).toContain('value="Email Code" checked');
    }
    // Five refusals: no counter moved, so the hourly budgets are as they were.
    const after = await world.knex('rate_limits').where('key', 'like', 'code-send:%').select('key', 'count');
    expect(after).toEqual(before);
    expect(await sent('hedy@example.com')).toBe(1);

    // The wait did not restart with each click: 30 s after the first code, the next goes out.
    clock.advance(25_000);
    expect((await sendCode(agent, 'Email Code')).status).toBe(303);
  });
});
