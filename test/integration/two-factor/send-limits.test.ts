import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock, postForm, registerConfirmed, setup, signedInAgent, type World } from '../../helpers/setup.js';
import {
  auditCount,
  clearSignInThrottle,
  passwordStep,
  PHONE,
  PHONE_E164,
  sendCode,
  twoFactorAccount,
  userByEmail,
} from '../../helpers/two-factor.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  // The defaults: 5 codes per number per hour, 1 per 30 seconds, 10 per user, 30 per IP.
  world = await setup({ overrides: { clock } });
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

const outboxCount = (recipient: string) =>
  world
    .knex('outbox')
    .where({ recipient })
    .count<{ n: number }[]>('* as n')
    .then(([r]) => Number(r.n));

describe('code sending limits (defaults)', () => {
  it('sends at most one code per 30 seconds to a destination while it is unused, and says when it was sent and when to ask again', async () => {
    await twoFactorAccount(world, 'ada@example.com', { phone: false });
    clock.advance(31_000);
    const { agent } = await passwordStep(world, 'ada@example.com');
    expect((await sendCode(agent, 'Email Code')).status).toBe(303);
    const sent = await outboxCount('ada@example.com');

    clock.advance(10_000);
    const res = await sendCode(agent, 'Email Code');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('20');
    expect(res.text).toContain('A code was sent 10 seconds ago; you can ask again in 20 seconds.');
    expect(res.text).toContain('name="selectedProvider" value="Email Code"'); // the form is still there, with the choice kept
    expect(await outboxCount('ada@example.com')).toBe(sent);
    expect(await auditCount(world, 'SecurityCodeRateLimited')).toBe(1);

    clock.advance(20_000);
    expect((await sendCode(agent, 'Email Code')).status).toBe(303);
  });

  it('sends at most five codes to one number per hour, across users', async () => {
    const first = await signedInAgentFor('p1@example.com');
    const second = await signedInAgentFor('p2@example.com');
    for (let i = 0; i < 5; i++) {
      clock.advance(31_000);
      const res = await postForm(i % 2 ? second : first, '/manage/add-phone-number', { phoneNumber: PHONE });
      expect(res.status).toBe(303);
    }
    clock.advance(31_000);
    const res = await postForm(second, '/manage/add-phone-number', { phoneNumber: PHONE });
    expect(res.status).toBe(429);
    expect(res.text).toMatch(/Too many codes were requested\. Please try again in \d+ minutes\./);
    expect(res.text).toContain('value="+41 79 123 45 67"');
    expect(await outboxCount(PHONE_E164)).toBe(5);
    expect((await userByEmail(world, 'p2@example.com')).phoneNumber).toBeNull();

    clock.advance(60 * 60_000);
    const later = await signedInAgent(world, 'p2@example.com'); // the idle session has ended meanwhile
    expect((await postForm(later, '/manage/add-phone-number', { phoneNumber: PHONE })).status).toBe(303);
  });
});

async function signedInAgentFor(email: string) {
  await registerConfirmed(world, email);
  return signedInAgent(world, email);
}

describe('per-user and per-IP limits (configured)', () => {
  let tight: World;
  beforeAll(async () => {
    tight = await setup({
      env: { CODE_SEND_INTERVAL_SECONDS: '0', CODE_SEND_PER_USER_PER_HOUR: '2', CODE_SEND_PER_IP_PER_HOUR: '3' },
      overrides: { clock },
    });
  });
  afterAll(() => tight.close());

  it('stops one user after their hourly number, then the whole IP after its own', async () => {
    await registerConfirmed(tight, 'u1@example.com');
    await registerConfirmed(tight, 'u2@example.com');
    const u1 = await signedInAgent(tight, 'u1@example.com');
    const u2 = await signedInAgent(tight, 'u2@example.com');
    expect((await postForm(u1, '/manage/add-phone-number', { phoneNumber: '+41 79 123 45 67' })).status).toBe(303);
    expect((await postForm(u1, '/manage/add-phone-number', { phoneNumber: '+41 79 123 45 68' })).status).toBe(303);
    expect((await postForm(u1, '/manage/add-phone-number', { phoneNumber: '+41 79 123 45 69' })).status).toBe(429);
    // A refused request counts toward no limit (issue 10): the IP has one send left, then none.
    expect((await postForm(u2, '/manage/add-phone-number', { phoneNumber: '+41 79 123 45 70' })).status).toBe(303);
    expect((await postForm(u2, '/manage/add-phone-number', { phoneNumber: '+41 79 123 45 71' })).status).toBe(429);
    const sms = await tight.knex('outbox').where({ channel: 'sms' });
    expect(sms).toHaveLength(3);
  });
});
