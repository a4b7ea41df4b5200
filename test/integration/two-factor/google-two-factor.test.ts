import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGoogle, type FakeGoogle } from '../../fakes/fake-google.js';
import { googleRoundTrip, registerWithGoogle } from '../../helpers/external-login.js';
import { postForm, setup, type World } from '../../helpers/setup.js';
import { clearSignInThrottle, demoCodeFrom, enableTwoFactor, relaxedSendLimits, sendCode, verifyCode } from '../../helpers/two-factor.js';

let world: World;
let google: FakeGoogle;
beforeAll(async () => {
  google = await startFakeGoogle();
  world = await setup({ env: { ...google.env, ...relaxedSendLimits } });
});
afterAll(async () => {
  await world.close();
  await google.close();
});
beforeEach(() => clearSignInThrottle(world));

describe('two-factor after Google sign-in', () => {
  it('asks for the code after Google too, and honours "Remember this browser" like the password path', async () => {
    const agent = world.agent();
    await registerWithGoogle(agent, google, { sub: 'g-tf', email: 'tf@gmail.com', email_verified: true });
    await enableTwoFactor(agent);
    await postForm(agent, '/account/log-off', {}, '/manage');

    const callback = await googleRoundTrip(agent, google, { sub: 'g-tf' });
    expect(callback.headers.location).toBe('/account/send-code?returnUrl=%2F&rememberMe=false');
    expect((await agent.get('/manage')).status).toBe(302);
    const sent = await sendCode(agent, 'Email Code');
    const code = demoCodeFrom((await agent.get(sent.headers.location)).text);
    const done = await verifyCode(agent, { provider: 'Email Code', code, rememberBrowser: 'true' });
    expect(done.status).toBe(303);
    expect((await agent.get('/manage')).status).toBe(200);

    await postForm(agent, '/account/log-off', {}, '/manage');
    const again = await googleRoundTrip(agent, google, { sub: 'g-tf' });
    expect(again.headers.location).toBe('/');
    expect((await agent.get('/manage')).status).toBe(200);

    const elsewhere = await googleRoundTrip(world.agent(), google, { sub: 'g-tf' });
    expect(elsewhere.headers.location).toMatch(/^\/account\/send-code/);
  });
});
