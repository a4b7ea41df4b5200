import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setup, type World } from '../../helpers/setup.js';
import {
  auditCount,
  clearSignInThrottle,
  demoCodeFrom,
  passwordStep,
  PHONE_E164,
  relaxedSendLimits,
  sendCode,
  twoFactorAccount,
  twoFactorSignIn,
  userByEmail,
  verifyCode,
} from '../../helpers/two-factor.js';

let world: World;
beforeAll(async () => {
  world = await setup({ env: relaxedSendLimits });
  await twoFactorAccount(world, 'ada@example.com');
  await twoFactorAccount(world, 'mail-only@example.com', { phone: false });
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

describe('two-factor sign-in', () => {
  it("sends the password step to Send Code, which offers the user's providers", async () => {
    const { agent, res } = await passwordStep(world, 'ada@example.com', undefined, { rememberMe: 'true' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account/send-code?returnUrl=%2F&rememberMe=true');
    const page = await agent.get(res.headers.location);
    expect(page.status).toBe(200);
    expect(page.text).toContain('name="selectedProvider" value="Phone Code"');
    expect(page.text).toContain('name="selectedProvider" value="Email Code"');
    // Half signed in is signed out everywhere else.
    const manage = await agent.get('/manage');
    expect(manage.status).toBe(302);
    expect(manage.headers.location).toMatch(/^\/account\/login/);
  });

  it('offers only Email Code to a user without a verified phone', async () => {
    const { agent } = await passwordStep(world, 'mail-only@example.com');
    const page = await agent.get('/account/send-code');
    expect(page.text).not.toContain('Phone Code');
    expect(page.text).toContain('name="selectedProvider" value="Email Code"');
  });

  it('texts a code and signs in with it (demo mode shows it)', async () => {
    const { agent } = await passwordStep(world, 'ada@example.com');
    const sent = await sendCode(agent, 'Phone Code');
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toMatch(/^\/account\/verify-code\?provider=Phone\+Code/);
    const page = await agent.get(sent.headers.location);
    expect(page.text).toContain('Demo mode: the code we sent is');
    expect(page.text).toContain('Remember this browser');
    expect(page.text).toContain('Remember me');
    const code = demoCodeFrom(page.text);
    const sms = await world.knex('outbox').where({ recipient: PHONE_E164, purpose: 'TwoFactor' }).orderBy('id', 'desc').first();
    expect(sms.channel).toBe('sms');
    expect(sms.body).toBe(`Your security code is: ${code}`);

    const res = await verifyCode(agent, { provider: 'Phone Code', code });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const manage = await agent.get('/manage');
    expect(manage.status).toBe(200);
    expect(manage.text).toContain('data-email>ada@example.com<');
  });

  it('emails a code with the subject "Security Code"', async () => {
    const { agent } = await passwordStep(world, 'mail-only@example.com');
    const sent = await sendCode(agent, 'Email Code');
    expect(sent.status).toBe(303);
    const mail = await world
      .knex('outbox')
      .where({ recipient: 'mail-only@example.com', purpose: 'TwoFactor' })
      .orderBy('id', 'desc')
      .first();
    expect(mail.channel).toBe('email');
    expect(mail.subject).toBe('Security Code');
    const page = await agent.get(sent.headers.location);
    expect(mail.body).toBe(`Your security code is: ${demoCodeFrom(page.text)}`);
    const res = await verifyCode(agent, { provider: 'Email Code', code: demoCodeFrom(page.text) });
    expect(res.status).toBe(303);
  });

  it('keeps a local return URL through both steps, and "remember me" makes a persistent cookie', async () => {
    const { res } = await twoFactorSignIn(world, 'ada@example.com', { login: { returnUrl: '/manage' }, verify: { rememberMe: 'true' } });
    expect(res.headers.location).toBe('/manage');
    expect(String(res.headers['set-cookie'])).toMatch(/gatehouse\.sid=[^;]+;.*Expires=/);
  });

  it('sends a visitor home when the return URL is not local', async () => {
    const { res } = await twoFactorSignIn(world, 'ada@example.com', { login: { returnUrl: '//evil.example/x' } });
    expect(res.headers.location).toBe('/');
  });

  it('says "Invalid code." for a wrong code and counts it', async () => {
    const user = await userByEmail(world, 'ada@example.com');
    const { agent } = await passwordStep(world, 'ada@example.com');
    await sendCode(agent, 'Phone Code');
    const res = await verifyCode(agent, { provider: 'Phone Code', code: wrongCode(await currentCode(user.id)) });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Invalid code.');
    expect((await userByEmail(world, 'ada@example.com')).accessFailedCount).toBe(1);
    expect(await auditCount(world, 'TwoFactorFailed', user.id)).toBe(1);
    // A right code afterwards still works and clears the count.
    const ok = await verifyCode(agent, { provider: 'Phone Code', code: await currentCode(user.id) });
    expect(ok.status).toBe(303);
    expect((await userByEmail(world, 'ada@example.com')).accessFailedCount).toBe(0);
  });

  it('records the sign-in conversation in the audit log', async () => {
    const user = await userByEmail(world, 'ada@example.com');
    expect(await auditCount(world, 'SecurityCodeSent', user.id)).toBeGreaterThan(0);
    const signedIn = await world.knex('audit_events').where({ user_id: user.id, event_type: 'SignedIn' });
    expect(signedIn.some((e) => (typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail).method === 'two-factor')).toBe(true);
    // No code ever lands in the audit log.
    const codes = (await world.knex('outbox').whereNotNull('secret')).map((r) => r.secret as string);
    expect(codes.length, 'codes to look for').toBeGreaterThan(0);
    const details = (await world.knex('audit_events').whereNotNull('detail')).map((e) => JSON.stringify(e.detail));
    for (const code of codes) expect(details.some((d) => d.includes(code))).toBe(false);
  });
});

async function currentCode(userId: string): Promise<string> {
  const row = await world.knex('outbox').where({ user_id: userId, purpose: 'TwoFactor' }).orderBy('id', 'desc').first();
  return row.secret;
}

const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
