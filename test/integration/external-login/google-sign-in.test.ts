import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGoogle } from '../../fakes/fake-google.js';
import { googleRoundTrip, registerWithGoogle, setupWithFakeGoogle } from '../../helpers/external-login.js';
import { confirmByButton, demoLinkFrom, localPath, postForm, registerConfirmed, signedInAgent, type World } from '../../helpers/setup.js';

let world: World;
let google: FakeGoogle;
beforeAll(async () => {
  ({ google, ...world } = await setupWithFakeGoogle());
});
afterAll(() => world.close());

const userByEmail = (email: string) => world.knex('users').where({ email }).first();
const loginsOf = (userId: string) => world.knex('user_logins').where({ user_id: userId });
const eventsOf = async (userId: string) =>
  (await world.knex('audit_events').where({ user_id: userId }).orderBy('id')).map((e) => e.event_type);

describe('Google on the sign-in page', () => {
  it('offers Google, and lets the form post redirect to the provider (CSP form-action)', async () => {
    const page = await world.agent().get('/account/login');
    expect(page.text).toContain('action="/account/external-login"');
    expect(page.text).toContain('value="Google"');
    expect(page.headers['content-security-policy']).toContain(`form-action 'self' ${google.origin}`);
  });

  it('sends the browser to the provider with state, PKCE and the fixed callback URL', async () => {
    const agent = world.agent();
    const res = await postForm(agent, '/account/external-login', { provider: 'Google', returnUrl: '/' }, '/account/login');
    expect(res.status).toBe(302);
    const url = new URL(res.headers.location);
    expect(url.origin).toBe(google.origin);
    expect(url.searchParams.get('redirect_uri')).toBe('http://gatehouse.test/account/external-login-callback');
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{40,}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toBe('openid email profile');
  });

  it('refuses the external-login POST without a CSRF token', async () => {
    const res = await world.agent().post('/account/external-login').type('form').send({ provider: 'Google' });
    expect(res.status).toBe(403);
  });
});

describe('a Google account with no Gatehouse account yet', () => {
  it('goes to External Login Confirmation with the email filled in; confirming creates, links and signs in', async () => {
    const agent = world.agent();
    const callback = await googleRoundTrip(agent, google, {
      sub: 'g-new-1',
      email: 'new.one@gmail.com',
      email_verified: true,
      name: 'New One',
    });
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/account/external-login-confirmation');
    const form = await agent.get('/account/external-login-confirmation');
    expect(form.text).toContain('Associate your Google account.');
    expect(form.text).toContain('value="new.one@gmail.com"');

    const confirmed = await postForm(agent, '/account/external-login-confirmation', { email: 'new.one@gmail.com' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe('/');
    const manage = await agent.get('/manage');
    expect(manage.status).toBe(200);
    expect(manage.text).toContain('data-has-password="false"');
    expect(manage.text).toContain('Pick a password');
    expect(manage.text).toContain('data-external-logins="1"');

    const user = await userByEmail('new.one@gmail.com');
    expect(user.password_hash).toBeNull();
    expect(user.email_confirmed).toBe(true);
    expect(await loginsOf(user.id)).toMatchObject([{ login_provider: 'Google', provider_key: 'g-new-1' }]);
    expect(await eventsOf(user.id)).toEqual(expect.arrayContaining(['UserRegistered', 'ExternalLoginAdded']));
  });

  it('signs the linked account straight in next time, to a local return URL only', async () => {
    await registerWithGoogle(world.agent(), google, { sub: 'g-again', email: 'again@gmail.com', email_verified: true });
    const agent = world.agent();
    google.signInAs({ sub: 'g-again', email: 'again@gmail.com', email_verified: true });
    const start = await postForm(agent, '/account/external-login', { provider: 'Google', returnUrl: '/manage' }, '/account/login');
    const back = await fetch(start.headers.location, { redirect: 'manual' });
    const callback = await agent.get(localPath(back.headers.get('location')!));
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/manage');
    expect((await agent.get('/manage')).status).toBe(200);
    const user = await userByEmail('again@gmail.com');
    const signIn = await world.knex('audit_events').where({ user_id: user.id, event_type: 'SignedIn' }).first();
    expect(signIn.detail).toMatchObject({ method: 'Google' });

    const evil = world.agent();
    const res = await googleRoundTrip(
      evil,
      google,
      { sub: 'g-again' },
      { path: '/account/external-login', fields: { provider: 'Google', returnUrl: 'https://evil.example/' }, formPath: '/account/login' },
    );
    expect(res.headers.location).toBe('/');
  });

  it('makes an unconfirmed account when Google has not verified the email, and mails a confirmation link (J86)', async () => {
    const agent = world.agent();
    const res = await registerWithGoogle(agent, google, { sub: 'g-unverified', email: 'unverified@gmail.com', email_verified: false });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Please check your email and confirm your email address.');
    expect((await agent.get('/manage')).status).toBe(302);
    const user = await userByEmail('unverified@gmail.com');
    expect(user.email_confirmed).toBe(false);
    const mail = await world.knex('outbox').where({ recipient: 'unverified@gmail.com', purpose: 'EmailConfirmation' }).first();
    expect(mail.subject).toBe('Confirm your account');

    const blocked = await googleRoundTrip(world.agent(), google, { sub: 'g-unverified' });
    expect(blocked.text).toContain('You must have a confirmed email to log on.');
    await confirmByButton(world.agent(), localPath(demoLinkFrom(res.text)));
    const allowed = await googleRoundTrip(world.agent(), google, { sub: 'g-unverified' });
    expect(allowed.status).toBe(303);
    expect(allowed.headers.location).toBe('/');
  });

  it('treats an address typed instead of the verified one as unverified', async () => {
    const res = await registerWithGoogle(
      world.agent(),
      google,
      { sub: 'g-typed', email: 'typed@gmail.com', email_verified: true },
      'other.address@example.com',
    );
    expect(res.text).toContain('Please check your email and confirm your email address.');
    expect((await userByEmail('other.address@example.com')).email_confirmed).toBe(false);
  });
});

describe('a Google account whose email belongs to a local account (I80, J84)', () => {
  it('is never linked to it, and the page does not reveal the account exists', async () => {
    await registerConfirmed(world, 'local.owner@example.com');
    const owner = await userByEmail('local.owner@example.com');
    const agent = world.agent();
    const res = await registerWithGoogle(agent, google, { sub: 'g-squatter', email: 'local.owner@example.com', email_verified: false });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Please check your email and confirm your email address.');
    expect(res.text).not.toMatch(/already|taken|exists/i);
    expect(await world.knex('user_logins').where({ provider_key: 'g-squatter' })).toHaveLength(0);
    expect(await loginsOf(owner.id)).toHaveLength(0);
    expect((await agent.get('/manage')).status).toBe(302);
    const notice = await world
      .knex('outbox')
      .where({ recipient: 'local.owner@example.com', purpose: 'ExternalLoginForExistingEmail' })
      .first();
    expect(notice.body).toContain('Nothing was linked.');
  });
});

describe('two-factor after Google (C25)', () => {
  it('does not sign in a user with two-factor on: the second factor comes next', async () => {
    await registerWithGoogle(world.agent(), google, { sub: 'g-2fa', email: 'twofactor@gmail.com', email_verified: true });
    const user = await userByEmail('twofactor@gmail.com');
    await world.knex('users').where({ id: user.id }).update({ two_factor_enabled: true });
    const agent = world.agent();
    const res = await googleRoundTrip(agent, google, { sub: 'g-2fa' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account/send-code?returnUrl=%2F&rememberMe=false');
    const manage = await agent.get('/manage');
    expect(manage.status).toBe(302);
    expect(manage.headers.location).toMatch(/^\/account\/login/);
    expect(await world.knex('audit_events').where({ user_id: user.id, event_type: 'SignedIn' })).toHaveLength(0);
  });

  it('shows the lockout page for a locked-out account', async () => {
    await registerWithGoogle(world.agent(), google, { sub: 'g-locked', email: 'locked@gmail.com', email_verified: true });
    await world
      .knex('users')
      .where({ email: 'locked@gmail.com' })
      .update({ lockout_end: new Date(Date.now() + 3_600_000) });
    const agent = world.agent();
    const res = await googleRoundTrip(agent, google, { sub: 'g-locked' });
    expect(res.text).toContain('This account has been locked out, please try again later.');
    expect((await agent.get('/manage')).status).toBe(302);
  });
});

describe('a local account signed in', () => {
  it('can still sign in with its password while Google is configured', async () => {
    await registerConfirmed(world, 'pw.user@example.com');
    const agent = await signedInAgent(world, 'pw.user@example.com');
    expect((await agent.get('/manage')).text).toContain('data-external-logins="0"');
  });
});
