import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGoogle } from '../../fakes/fake-google.js';
import { consentAtProvider, setupWithFakeGoogle } from '../../helpers/external-login.js';
import { postForm, setup, type Agent, type World } from '../../helpers/setup.js';

let world: World;
let google: FakeGoogle;
beforeAll(async () => {
  ({ google, ...world } = await setupWithFakeGoogle());
});
afterAll(() => world.close());

const person = { sub: 'g-failure', email: 'failure@gmail.com', email_verified: true };

/** Starts the flow in `agent` and returns the callback path the provider sent back. */
async function startFlow(agent: Agent) {
  google.signInAs(person);
  const start = await postForm(agent, '/account/external-login', { provider: 'Google', returnUrl: '/' }, '/account/login');
  return { authorizationUrl: start.headers.location as string, callback: () => consentAtProvider(start.headers.location) };
}

async function expectFailure(agent: Agent, path: string) {
  const res = await agent.get(path);
  expect(res.status).toBe(200);
  expect(res.text).toContain('Login failure');
  expect(res.text).toContain('Unsuccessful login with service.');
  expect((await agent.get('/account/external-login-confirmation')).headers.location).toBe('/account/login');
  expect((await agent.get('/manage')).status).toBe(302);
  return res;
}

const failures = async () => (await world.knex('audit_events').where({ event_type: 'ExternalLoginFailed' })).map((e) => e.detail.reason);

describe('the OAuth state (J81)', () => {
  it('refuses a callback with no state', async () => {
    const agent = world.agent();
    const flow = await startFlow(agent);
    const callback = new URL(await flow.callback(), 'http://x');
    callback.searchParams.delete('state');
    await expectFailure(agent, callback.pathname + callback.search);
  });

  it('refuses a callback with a wrong state', async () => {
    const agent = world.agent();
    const flow = await startFlow(agent);
    const callback = new URL(await flow.callback(), 'http://x');
    callback.searchParams.set('state', 'x'.repeat(43));
    await expectFailure(agent, callback.pathname + callback.search);
  });

  it("refuses another browser's callback (login CSRF): its state belongs to the attacker's session", async () => {
    const attacker = world.agent();
    const attackerCallback = await (await startFlow(attacker)).callback();
    const victim = world.agent();
    await victim.get('/account/login');
    await expectFailure(victim, attackerCallback);
  });

  it('accepts a state once only', async () => {
    const agent = world.agent();
    const callback = await (await startFlow(agent)).callback();
    expect((await agent.get(callback)).headers.location).toBe('/account/external-login-confirmation');
    await expectFailure(agent, callback);
  });

  it('refuses a state older than ten minutes', async () => {
    const { createTestClock } = await import('../../helpers/setup.js');
    const clock = createTestClock();
    const slow = await setup({ env: google.env, overrides: { clock } });
    try {
      const agent = slow.agent();
      const callback = await (await startFlow(agent)).callback();
      clock.advance(10 * 60_000 + 1);
      const res = await agent.get(callback);
      expect(res.text).toContain('Unsuccessful login with service.');
    } finally {
      await slow.close();
    }
  });
});

describe('errors from the provider', () => {
  it('ends on External Login Failure when the person denies consent', async () => {
    const agent = world.agent();
    google.failNextAuthorization('access_denied');
    const flow = await startFlow(agent);
    google.failNextAuthorization('access_denied');
    await expectFailure(agent, await flow.callback());
    expect(await failures()).toContain('Denied');
  });

  it('ends on External Login Failure when the provider reports an error', async () => {
    const agent = world.agent();
    const flow = await startFlow(agent);
    google.failNextAuthorization('server_error');
    await expectFailure(agent, await flow.callback());
    expect(await failures()).toContain('AuthorizationError');
  });

  it('ends on External Login Failure when the code is refused (replayed code, J82)', async () => {
    const agent = world.agent();
    const callback = await (await startFlow(agent)).callback();
    await agent.get(callback);
    // Same code again, under a fresh state of this browser: the provider refuses the code.
    const second = world.agent();
    const fresh = new URL(await (await startFlow(second)).callback(), 'http://x');
    fresh.searchParams.set('code', new URL(callback, 'http://x').searchParams.get('code')!);
    await expectFailure(second, fresh.pathname + fresh.search);
    expect(await failures()).toContain('TokenError');
  });

  it('ends on External Login Failure for a callback with no code and no error, without starting a new flow', async () => {
    const agent = world.agent();
    await startFlow(agent);
    await expectFailure(agent, '/account/external-login-callback');
  });

  it('ends on External Login Failure for a provider name it does not know', async () => {
    const res = await postForm(world.agent(), '/account/external-login', { provider: 'Facebook', returnUrl: '/' }, '/account/login');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Unsuccessful login with service.');
  });

  it('refuses the confirmation form without a provider login waiting', async () => {
    const res = await postForm(world.agent(), '/account/external-login-confirmation', { email: 'nobody@example.com' }, '/account/login');
    expect(res.text).toContain('Unsuccessful login with service.');
    expect(await world.knex('users').where({ email: 'nobody@example.com' })).toHaveLength(0);
  });
});

describe('Google not configured', () => {
  it('offers no Google button and refuses the flow', async () => {
    const plain = await setup();
    try {
      const agent = plain.agent();
      const page = await agent.get('/account/login');
      expect(page.text).not.toContain('/account/external-login');
      expect(page.headers['content-security-policy']).toMatch(/form-action 'self'(;|$)/);
      const res = await postForm(agent, '/account/external-login', { provider: 'Google', returnUrl: '/' }, '/account/login');
      expect(res.text).toContain('Unsuccessful login with service.');
      expect((await agent.get('/account/external-login-callback?code=x&state=y')).text).toContain('Unsuccessful login with service.');
    } finally {
      await plain.close();
    }
  });
});
