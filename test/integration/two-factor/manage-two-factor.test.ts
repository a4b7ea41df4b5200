import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerConfirmed, setup, signedInAgent, postForm, type World } from '../../helpers/setup.js';
import { auditCount, clearSignInThrottle, passwordStep, relaxedSendLimits, userByEmail } from '../../helpers/two-factor.js';

let world: World;
beforeAll(async () => {
  world = await setup({ env: relaxedSendLimits });
  await registerConfirmed(world, 'ada@example.com');
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

describe('the Manage page', () => {
  const messages: Array<[string, string]> = [
    ['ChangePasswordSuccess', 'Your password has been changed.'],
    ['SetPasswordSuccess', 'Your password has been set.'],
    ['SetTwoFactorSuccess', 'Your two factor provider has been set.'],
    ['AddPhoneSuccess', 'The phone number was added.'],
    ['RemovePhoneSuccess', 'Your phone number was removed.'],
    ['RemoveLoginSuccess', 'The external login was removed.'],
    ['Error', 'An error has occurred.'],
  ];
  it.each(messages)('shows ?message=%s as "%s"', async (key, text) => {
    const agent = await signedInAgent(world, 'ada@example.com');
    const res = await agent.get(`/manage?message=${key}`);
    expect(res.text).toContain(`data-status-message>${text}<`);
    expect(res.text).toContain(key === 'Error' ? 'alert-danger' : 'alert-success');
  });

  it('ignores an unknown message', async () => {
    const agent = await signedInAgent(world, 'ada@example.com');
    const res = await agent.get('/manage?message=<b>hi</b>');
    expect(res.text).not.toContain('data-status-message');
  });

  it('shows no phone, two-factor off and the browser not remembered for a new account', async () => {
    const agent = await signedInAgent(world, 'ada@example.com');
    const res = await agent.get('/manage');
    expect(res.text).toContain('data-phone-number=""');
    expect(res.text).toContain('href="/manage/add-phone-number"');
    expect(res.text).toContain('data-two-factor="disabled"');
    expect(res.text).toContain('action="/manage/enable-two-factor"');
    expect(res.text).toContain('data-browser-remembered="false"');
  });
});

describe('enabling and disabling two-factor authentication', () => {
  it('enables it by POST, rotates the stamp, keeps this session and ends the others', async () => {
    const here = await signedInAgent(world, 'ada@example.com');
    const elsewhere = await signedInAgent(world, 'ada@example.com');
    const before = await userByEmail(world, 'ada@example.com');

    const res = await postForm(here, '/manage/enable-two-factor', {}, '/manage');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/manage?message=SetTwoFactorSuccess');
    const after = await userByEmail(world, 'ada@example.com');
    expect(after.twoFactorEnabled).toBe(true);
    expect(after.securityStamp).not.toBe(before.securityStamp);

    const manage = await here.get(res.headers.location);
    expect(manage.status).toBe(200);
    expect(manage.text).toContain('Your two factor provider has been set.');
    expect(manage.text).toContain('data-two-factor="enabled"');
    expect(manage.text).toContain('Remember Browser');
    expect((await elsewhere.get('/manage')).status).toBe(302);
    expect(await auditCount(world, 'TwoFactorEnabled', after.id)).toBe(1);

    // The next password sign-in asks for a code.
    const { res: login } = await passwordStep(world, 'ada@example.com');
    expect(login.headers.location).toMatch(/^\/account\/send-code/);
  });

  it('disables it by POST, rotates the stamp and keeps this session', async () => {
    const { agent } = await passwordStep(world, 'ada@example.com');
    // Sign in through the code (2FA is on from the test above).
    const sent = await postForm(agent, '/account/send-code', { selectedProvider: 'Email Code' });
    const page = await agent.get(sent.headers.location);
    const code = /data-demo-code>(\d{6})</.exec(page.text)![1];
    await postForm(agent, '/account/verify-code', { provider: 'Email Code', code }, '/account/login');
    const before = await userByEmail(world, 'ada@example.com');

    const res = await postForm(agent, '/manage/disable-two-factor', {}, '/manage');
    // Issue 10 item 7: turning it off says so (the seed showed the "set" message for both).
    expect(res.headers.location).toBe('/manage?message=DisableTwoFactorSuccess');
    expect((await agent.get(res.headers.location)).text).toContain(
      'Two-factor authentication is off: signing in now asks for your password only.',
    );
    const after = await userByEmail(world, 'ada@example.com');
    expect(after.twoFactorEnabled).toBe(false);
    expect(after.securityStamp).not.toBe(before.securityStamp);
    expect((await agent.get('/manage')).text).toContain('data-two-factor="disabled"');
    expect(await auditCount(world, 'TwoFactorDisabled', after.id)).toBe(1);
    const { res: login } = await passwordStep(world, 'ada@example.com');
    expect(login.headers.location).toBe('/');
  });

  it('refuses a POST without a CSRF token and a GET, changing nothing', async () => {
    const agent = await signedInAgent(world, 'ada@example.com');
    const before = await userByEmail(world, 'ada@example.com');
    for (const path of ['/manage/enable-two-factor', '/manage/remember-browser', '/manage/remove-phone-number']) {
      expect((await agent.post(path).type('form').send({})).status).toBe(403);
      expect((await agent.get(path)).status).toBe(404);
    }
    const after = await userByEmail(world, 'ada@example.com');
    expect(after).toEqual(before);
    expect(await world.knex('remembered_browsers').where({ user_id: after.id })).toHaveLength(0);
  });

  it('sends a visitor to log in instead of changing anything', async () => {
    const agent = world.agent();
    const res = await postForm(agent, '/manage/enable-two-factor', {}, '/account/login');
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(/^\/account\/login\?returnUrl=/);
  });
});
