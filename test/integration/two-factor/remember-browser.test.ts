import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock, PASSWORD, postForm, setup, type Agent, type World } from '../../helpers/setup.js';
import {
  auditCount,
  clearSignInThrottle,
  passwordStep,
  relaxedSendLimits,
  twoFactorAccount,
  twoFactorSignIn,
  userByEmail,
} from '../../helpers/two-factor.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  world = await setup({ env: relaxedSendLimits, overrides: { clock } });
  await twoFactorAccount(world, 'ada@example.com');
  await twoFactorAccount(world, 'bob@example.com');
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

const rbCookie = (res: { headers: Record<string, unknown> }) =>
  ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []).find((c) => c.startsWith('gatehouse.rb='));

/** Signs in with "Remember this browser" ticked; returns the browser and its cookie header. */
async function rememberedBrowser(email: string) {
  const { agent, res } = await twoFactorSignIn(world, email, { verify: { rememberBrowser: 'true' } });
  expect(res.status).toBe(303);
  const cookie = rbCookie(res)!;
  expect(cookie).toBeDefined();
  return { agent, cookie, token: /^gatehouse\.rb=([^;]+)/.exec(cookie)![1] };
}

async function logOff(agent: Agent) {
  await postForm(agent, '/account/log-off', {}, '/manage');
}

describe('remember this browser', () => {
  it('sets an HttpOnly, SameSite=Lax cookie and stores only a hash bound to user and stamp', async () => {
    const { cookie, token } = await rememberedBrowser('ada@example.com');
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Expires=/);
    const user = await userByEmail(world, 'ada@example.com');
    const rows = await world.knex('remembered_browsers').where({ user_id: user.id });
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).not.toContain(token);
    expect(rows[0].security_stamp).toBe(user.securityStamp);
    expect(new Date(rows[0].expires_at).getTime()).toBeGreaterThan(clock().getTime() + 29 * 86_400_000);
    expect(await auditCount(world, 'BrowserRemembered', user.id)).toBe(1);
  });

  it('skips the code at the next password sign-in from that browser, and Manage shows it', async () => {
    const { agent } = await rememberedBrowser('ada@example.com');
    await logOff(agent);
    const { res } = await passwordStep(world, 'ada@example.com', agent);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const manage = await agent.get('/manage');
    expect(manage.status).toBe(200);
    expect(manage.text).toContain('data-browser-remembered="true"');
    expect(manage.text).toContain('Forget Browser');
  });

  it('still needs the password: the cookie alone signs nobody in', async () => {
    const { cookie } = await rememberedBrowser('ada@example.com');
    const stranger = world.agent();
    const res = await stranger.get('/manage').set('Cookie', cookie.split(';')[0]);
    expect(res.status).toBe(302);
  });

  it('stops working when the user forgets the browser', async () => {
    const { agent } = await rememberedBrowser('ada@example.com');
    const user = await userByEmail(world, 'ada@example.com');
    const forgotten = await postForm(agent, '/manage/forget-browser', {}, '/manage');
    expect(forgotten.headers.location).toBe('/manage');
    expect(rbCookie(forgotten)).toMatch(/^gatehouse\.rb=;.*Expires=Thu, 01 Jan 1970/);
    expect((await agent.get('/manage')).text).toContain('data-browser-remembered="false"');
    expect(await auditCount(world, 'BrowserForgotten', user.id)).toBe(1);
    await logOff(agent);
    const { res } = await passwordStep(world, 'ada@example.com', agent);
    expect(res.headers.location).toMatch(/^\/account\/send-code/);
  });

  it('stops working after a password change (new security stamp)', async () => {
    const { agent } = await rememberedBrowser('ada@example.com');
    await logOff(agent);
    const user = await userByEmail(world, 'ada@example.com');
    await world.services.store.setPasswordHash(world.knex, user.id, user.passwordHash);
    const { res } = await passwordStep(world, 'ada@example.com', agent);
    expect(res.headers.location).toMatch(/^\/account\/send-code/);
  });

  it('says so when a password change from that browser forgets it, and clears its cookie (issue 10 item 7)', async () => {
    await twoFactorAccount(world, 'cleo@example.com');
    const { agent } = await rememberedBrowser('cleo@example.com');
    const res = await postForm(
      agent,
      '/manage/change-password',
      { oldPassword: PASSWORD, newPassword: 'a brand new passphrase', confirmPassword: 'a brand new passphrase' },
      '/manage/change-password',
    );
    expect(res.headers.location).toBe('/manage?message=ChangePasswordBrowserForgotten');
    expect(rbCookie(res)).toMatch(/^gatehouse\.rb=;/);
    const page = await agent.get(res.headers.location);
    expect(page.text).toContain(
      'Your password has been changed. This browser is no longer remembered, so your next sign-in here will ask for a code.',
    );
  });

  it('stops working after two-factor is turned off and on again', async () => {
    const { agent } = await rememberedBrowser('ada@example.com');
    await postForm(agent, '/manage/disable-two-factor', {}, '/manage');
    await postForm(agent, '/manage/enable-two-factor', {}, '/manage');
    expect((await agent.get('/manage')).text).toContain('data-browser-remembered="false"');
    await logOff(agent);
    const { res } = await passwordStep(world, 'ada@example.com', agent);
    expect(res.headers.location).toMatch(/^\/account\/send-code/);
  });

  it("is bound to its user: copied into another user's browser it is ignored", async () => {
    const { cookie } = await rememberedBrowser('ada@example.com');
    const copied = cookie.split(';')[0];
    // Control: the copied cookie does work for its own user in a fresh browser...
    const adaElsewhere = world.agent().set('Cookie', copied);
    expect((await passwordStep(world, 'ada@example.com', adaElsewhere)).res.headers.location).toBe('/');
    // ...and not for anyone else.
    const bobBrowser = world.agent().set('Cookie', copied);
    const { res } = await passwordStep(world, 'bob@example.com', bobBrowser);
    expect(res.headers.location).toMatch(/^\/account\/send-code/);
  });

  it('ignores a forged or garbled cookie', async () => {
    for (const value of ['x'.repeat(43), 'not a token', '%00%01']) {
      const agent = world.agent();
      const { res } = await passwordStep(world, 'ada@example.com', agent.set('Cookie', `gatehouse.rb=${value}`));
      expect(res.headers.location).toMatch(/^\/account\/send-code/);
    }
  });

  it('can be remembered from the Manage page, and expires after the configured 30 days', async () => {
    const { agent } = await twoFactorSignIn(world, 'bob@example.com');
    const res = await postForm(agent, '/manage/remember-browser', {}, '/manage');
    expect(res.headers.location).toBe('/manage');
    expect(rbCookie(res)).toBeDefined();
    expect((await agent.get('/manage')).text).toContain('data-browser-remembered="true"');
    await logOff(agent);
    expect((await passwordStep(world, 'bob@example.com', agent)).res.headers.location).toBe('/');
    await logOff(agent);
    clock.advance(30 * 86_400_000 + 60_000);
    expect((await passwordStep(world, 'bob@example.com', agent)).res.headers.location).toMatch(/^\/account\/send-code/);
  });
});
