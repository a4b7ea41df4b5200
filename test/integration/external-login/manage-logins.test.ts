import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGoogle } from '../../fakes/fake-google.js';
import { googleRoundTrip, registerWithGoogle, setupWithFakeGoogle } from '../../helpers/external-login.js';
import { csrfFrom, PASSWORD, postForm, registerConfirmed, signedInAgent, type Agent, type World } from '../../helpers/setup.js';

let world: World;
let google: FakeGoogle;
beforeAll(async () => {
  ({ google, ...world } = await setupWithFakeGoogle());
});
afterAll(() => world.close());

const userByEmail = (email: string) => world.knex('users').where({ email }).first();
const linkStart = { path: '/manage/link-login', fields: { provider: 'Google' }, formPath: '/manage/logins' };

async function removeLogin(agent: Agent, providerKey: string) {
  return postForm(agent, '/manage/remove-login', { loginProvider: 'Google', providerKey }, '/manage/logins');
}

describe('linking Google to a local account', () => {
  it('lists no logins, offers Google, links it, and the account can then sign in with either', async () => {
    await registerConfirmed(world, 'linker@example.com');
    const agent = await signedInAgent(world, 'linker@example.com');
    const other = await signedInAgent(world, 'linker@example.com');
    const before = await agent.get('/manage/logins');
    expect(before.text).toContain('No external logins are linked to this account.');
    expect(before.text).toContain('action="/manage/link-login"');

    const res = await googleRoundTrip(agent, google, { sub: 'g-linker', email: 'someone.else@gmail.com', email_verified: true }, linkStart);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/manage/logins?message=AddLoginSuccess');
    const after = await agent.get(res.headers.location);
    expect(after.text).toContain('The external login was added.');
    expect(after.text).toContain('data-login-provider="Google"');
    expect(after.text).not.toContain('action="/manage/link-login"');
    // The stamp changed: this session carries on, the other one ends.
    expect((await other.get('/manage')).status).toBe(302);

    const viaGoogle = await googleRoundTrip(world.agent(), google, { sub: 'g-linker' });
    expect(viaGoogle.headers.location).toBe('/');
    const user = await userByEmail('linker@example.com');
    const events = (await world.knex('audit_events').where({ user_id: user.id })).map((e) => e.event_type);
    expect(events).toContain('ExternalLoginAdded');
  });

  it('refuses a login already linked to another account, and moves nothing (J83)', async () => {
    await registerWithGoogle(world.agent(), google, { sub: 'g-taken', email: 'holder@gmail.com', email_verified: true });
    await registerConfirmed(world, 'grabber@example.com');
    const agent = await signedInAgent(world, 'grabber@example.com');
    const res = await googleRoundTrip(agent, google, { sub: 'g-taken', email: 'holder@gmail.com', email_verified: true }, linkStart);
    expect(res.headers.location).toBe('/manage/logins?message=LoginAlreadyLinked');
    expect((await agent.get(res.headers.location)).text).toContain('This login is already linked to another account');
    const holder = await userByEmail('holder@gmail.com');
    expect(await world.knex('user_logins').where({ provider_key: 'g-taken' })).toMatchObject([{ user_id: holder.id }]);
  });

  it('does not link when the browser signed out or changed user between start and callback', async () => {
    await registerConfirmed(world, 'switcher@example.com');
    const agent = await signedInAgent(world, 'switcher@example.com');
    google.signInAs({ sub: 'g-switch' });
    const start = await postForm(agent, '/manage/link-login', { provider: 'Google' }, '/manage/logins');
    await postForm(agent, '/account/log-off', {}, '/manage');
    const back = await fetch(start.headers.location, { redirect: 'manual' });
    const res = await agent.get(new URL(back.headers.get('location')!).pathname + new URL(back.headers.get('location')!).search);
    expect(res.text).toContain('Unsuccessful login with service.');
    expect(await world.knex('user_logins').where({ provider_key: 'g-switch' })).toHaveLength(0);
  });

  it('requires a CSRF token to start linking (A7)', async () => {
    await registerConfirmed(world, 'csrf.link@example.com');
    const agent = await signedInAgent(world, 'csrf.link@example.com');
    const res = await agent.post('/manage/link-login').type('form').send({ provider: 'Google' });
    expect(res.status).toBe(403);
  });
});

describe('removing logins', () => {
  it('never removes the last way in: no button, and the POST is refused (J85)', async () => {
    const agent = world.agent();
    await registerWithGoogle(agent, google, { sub: 'g-only', email: 'only.google@gmail.com', email_verified: true });
    const page = await agent.get('/manage/logins');
    expect(page.text).not.toContain('data-remove-login');
    expect(page.text).toContain('pick a password');
    const res = await removeLogin(agent, 'g-only');
    expect(res.headers.location).toBe('/manage/logins?message=Error');
    const user = await userByEmail('only.google@gmail.com');
    expect(await world.knex('user_logins').where({ user_id: user.id })).toHaveLength(1);
    expect(await world.knex('audit_events').where({ user_id: user.id, event_type: 'ExternalLoginRemoveRefused' })).toHaveLength(1);
  });

  it('lets a Google-only account pick a password, then remove Google; the stamp rotates', async () => {
    const agent = world.agent();
    await registerWithGoogle(agent, google, { sub: 'g-picker', email: 'picker@gmail.com', email_verified: true });
    const form = await agent.get('/manage/set-password');
    expect(form.text).toContain('Create Local Login');
    const set = await postForm(agent, '/manage/set-password', { newPassword: PASSWORD, confirmPassword: PASSWORD });
    expect(set.headers.location).toBe('/manage?message=SetPasswordSuccess');
    const manage = await agent.get(set.headers.location);
    expect(manage.text).toContain('Your password has been set.');
    expect(manage.text).toContain('data-has-password="true"');
    const notice = await world.knex('outbox').where({ recipient: 'picker@gmail.com', subject: 'Your password was changed' });
    expect(notice).toHaveLength(1);
    expect((await agent.get('/manage/set-password')).headers.location).toBe('/manage');

    const other = await signedInAgent(world, 'picker@gmail.com');
    const stampBefore = (await userByEmail('picker@gmail.com')).security_stamp;
    const page = await agent.get('/manage/logins');
    expect(page.text).toContain('data-remove-login');
    const removed = await removeLogin(agent, 'g-picker');
    expect(removed.headers.location).toBe('/manage/logins?message=RemoveLoginSuccess');
    expect((await agent.get(removed.headers.location)).text).toContain('The external login was removed.');
    const user = await userByEmail('picker@gmail.com');
    expect(user.security_stamp).not.toBe(stampBefore);
    expect(await world.knex('user_logins').where({ user_id: user.id })).toHaveLength(0);
    expect((await other.get('/manage')).status).toBe(302);
    const events = (await world.knex('audit_events').where({ user_id: user.id })).map((e) => e.event_type);
    expect(events).toEqual(expect.arrayContaining(['PasswordSet', 'ExternalLoginRemoved']));
    // Google now leads to a new account, not back into this one.
    const again = await googleRoundTrip(world.agent(), google, { sub: 'g-picker' });
    expect(again.headers.location).toBe('/account/external-login-confirmation');
  });

  it("cannot remove another user's login", async () => {
    await registerWithGoogle(world.agent(), google, { sub: 'g-victim', email: 'victim@gmail.com', email_verified: true });
    await registerConfirmed(world, 'remover@example.com');
    const agent = await signedInAgent(world, 'remover@example.com');
    const res = await removeLogin(agent, 'g-victim');
    expect(res.headers.location).toBe('/manage/logins?message=Error');
    expect(await world.knex('user_logins').where({ provider_key: 'g-victim' })).toHaveLength(1);
  });

  it('lets two parallel removals on a password-less account with two logins leave one', async () => {
    const agent = world.agent();
    await registerWithGoogle(agent, google, { sub: 'g-two-a', email: 'two.logins@gmail.com', email_verified: true });
    const user = await userByEmail('two.logins@gmail.com');
    await world.services.externalLogins.addLogin(user.id, {
      loginProvider: 'Google',
      providerKey: 'g-two-b',
      providerDisplayName: 'Google',
    });
    const fresh = world.agent();
    await googleRoundTrip(fresh, google, { sub: 'g-two-a' });
    const token = csrfFrom((await fresh.get('/manage/logins')).text);
    await Promise.all(
      ['g-two-a', 'g-two-b'].map((providerKey) =>
        fresh.post('/manage/remove-login').type('form').send({ loginProvider: 'Google', providerKey, _csrf: token }),
      ),
    );
    expect(await world.knex('user_logins').where({ user_id: user.id })).toHaveLength(1);
  });
});
