/**
 * Issue 14.3: account pre-hijacking. Someone registers the victim's address with a password of
 * their own (or with a Google login of their own) before the victim does; once the address is
 * confirmed, the attacker holds a way into the victim's account. These tests play the attack
 * over HTTP and check that the owner of the address can always take the account back, that a
 * mail scanner fetching the confirmation link confirms nothing, and that housekeeping removes
 * accounts nobody confirmed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { housekeepingTasks } from '../../src/housekeeping.js';
import { googleRoundTrip, registerWithGoogle, setupWithFakeGoogle } from '../helpers/external-login.js';
import { confirmByButton, createTestClock, csrfFrom, localPath, PASSWORD, postForm, type Agent, type World } from '../helpers/setup.js';
import {
  addConfirmedPhone,
  clearSignInThrottle,
  enableTwoFactor,
  passwordStep,
  relaxedSendLimits,
  sendCode,
} from '../helpers/two-factor.js';
import { account, isSignedIn, userRow } from './helpers.js';
import type { FakeGoogle } from '../fakes/fake-google.js';

const DAY = 24 * 3_600_000;
const ATTACKER_PASSWORD = 'the attacker chose this one';
const OWNER_PASSWORD = 'the owner of the inbox chose this';

const clock = createTestClock();
let world: World & { google: FakeGoogle };
beforeAll(async () => {
  world = await setupWithFakeGoogle({ env: relaxedSendLimits, overrides: { clock } });
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

/** Every mail that went to an address, oldest first. */
const mailsTo = (email: string) => world.knex('outbox').where({ recipient: email, channel: 'email' }).orderBy('id');

/** The links (path and query, on this app) in the newest mail to an address with this purpose. */
async function linksInMail(email: string, purpose: string): Promise<string[]> {
  const mail = (await mailsTo(email)).filter((m) => m.purpose === purpose).pop();
  if (!mail) throw new Error(`no ${purpose} mail to ${email}`);
  return [...(mail.body as string).matchAll(/http:\/\/gatehouse\.test\/\S+/g)].map((m) => localPath(m[0].replace(/[.,]$/, '')));
}

const register = (agent: Agent, email: string, password: string) =>
  postForm(agent, '/account/register', { email, password, confirmPassword: password });

const signIn = (agent: Agent, email: string, password: string) => postForm(agent, '/account/login', { email, password });

/** Opens a reset link and sets a new password through the form it shows. */
async function resetThroughLink(path: string, password = OWNER_PASSWORD) {
  const agent = world.agent();
  const page = await agent.get(path);
  expect(page.status).toBe(200);
  return agent
    .post('/account/reset-password')
    .type('form')
    .send({
      userId: new URL(path, 'http://x').searchParams.get('userId')!,
      password,
      confirmPassword: password,
      code: new URL(path, 'http://x').searchParams.get('code')!,
      _csrf: csrfFrom(page.text),
    });
}

/** The owner of the inbox asks for a reset link and uses it. */
async function ownerResets(email: string) {
  const forgot = await postForm(world.agent(), '/account/forgot-password', { email });
  expect(forgot.text).toContain('Please check your email to reset your password.');
  const [link] = await linksInMail(email, 'ResetPassword');
  const reset = await resetThroughLink(link);
  expect(reset.status).toBe(200);
  expect(reset.text).toContain('Your password has been reset.');
}

describe('the owner of the address takes back an account someone else registered', () => {
  it('forgot-password mails an unconfirmed account; the reset confirms it, and the attacker’s password no longer works', async () => {
    const attacker = world.agent();
    await register(attacker, 'victim1@example.com', ATTACKER_PASSWORD);
    expect((await signIn(attacker, 'victim1@example.com', ATTACKER_PASSWORD)).text).toContain('You must have a confirmed email to log on.');

    await ownerResets('victim1@example.com');

    const row = await userRow(world, 'victim1@example.com');
    expect(row.email_confirmed).toBe(true);
    const refused = await signIn(world.agent(), 'victim1@example.com', ATTACKER_PASSWORD);
    expect(refused.status).toBe(200);
    expect(refused.text).toContain('Invalid login attempt.');
    expect((await signIn(world.agent(), 'victim1@example.com', OWNER_PASSWORD)).status).toBe(303);
  });

  it('ends the attacker’s signed-in session and pending two-factor step when the owner resets (the address was confirmed by the owner’s click)', async () => {
    const attacker = world.agent();
    const registered = await register(attacker, 'victim2@example.com', ATTACKER_PASSWORD);
    expect(registered.status).toBe(200);
    // The owner clicks the confirmation mail they never asked for; the attacker then signs in,
    // puts their own phone on the account and turns two-factor on.
    const [confirmLink] = await linksInMail('victim2@example.com', 'EmailConfirmation');
    expect((await confirmByButton(world.agent(), confirmLink)).status).toBe(200);
    expect((await signIn(attacker, 'victim2@example.com', ATTACKER_PASSWORD)).status).toBe(303);
    await addConfirmedPhone(attacker);
    await enableTwoFactor(attacker);
    const halfway = (await passwordStep(world, 'victim2@example.com', world.agent(), { password: ATTACKER_PASSWORD })).agent;
    expect((await sendCode(halfway, 'Phone Code')).status).toBe(303);
    expect(await isSignedIn(attacker)).toBe(true);

    await ownerResets('victim2@example.com');

    expect(await isSignedIn(attacker)).toBe(false);
    const code = (await world.knex('outbox').where({ purpose: 'TwoFactor' }).orderBy('id', 'desc').first()).secret;
    const verify = await postForm(
      halfway,
      '/account/verify-code',
      { provider: 'Phone Code', code, returnUrl: '/', rememberMe: 'false' },
      '/account/login',
    );
    expect(await isSignedIn(halfway)).toBe(false);
    expect(verify.headers.location).not.toBe('/');
    expect((await signIn(world.agent(), 'victim2@example.com', ATTACKER_PASSWORD)).text).toContain('Invalid login attempt.');
  });

  it('removes a Google login someone linked before the address was confirmed, so it cannot sign in once the owner resets', async () => {
    const attacker = world.agent();
    const created = await registerWithGoogle(
      attacker,
      world.google,
      { sub: 'g-attacker-3', email: 'attacker3@gmail.com', email_verified: true },
      'victim3@example.com',
    );
    expect(created.text).toContain('Please check your email and confirm your email address.');

    await ownerResets('victim3@example.com');

    const row = await userRow(world, 'victim3@example.com');
    expect(row.email_confirmed).toBe(true);
    expect(await world.knex('user_logins').where({ user_id: row.id })).toEqual([]);
    const again = await googleRoundTrip(world.agent(), world.google, { sub: 'g-attacker-3' });
    expect(again.headers.location).toBe('/account/external-login-confirmation');
  });
});

describe('an account someone made with a Google login and the victim’s address', () => {
  it('has a confirmation page that says a Google sign-in made it, and offers setting one’s own password instead', async () => {
    await registerWithGoogle(
      world.agent(),
      world.google,
      { sub: 'g-attacker-4', email: 'attacker4@gmail.com', email_verified: true },
      'victim4@example.com',
    );
    const [link] = await linksInMail('victim4@example.com', 'EmailConfirmation');
    const page = await world.agent().get(link);
    expect(page.status).toBe(200);
    expect(page.text).toContain('This account was created with a Google sign-in.');
    expect(page.text).toContain('href="/account/forgot-password"');
    // A password account's page has no such warning.
    await register(world.agent(), 'plain4@example.com', PASSWORD);
    const [plain] = await linksInMail('plain4@example.com', 'EmailConfirmation');
    expect((await world.agent().get(plain)).text).not.toContain('created with a');
  });
});

describe('a mail scanner that fetches the confirmation link', () => {
  it('confirms nothing: the link shows a button, and only its CSRF-protected POST confirms', async () => {
    await register(world.agent(), 'scanned@example.com', PASSWORD);
    const [link] = await linksInMail('scanned@example.com', 'EmailConfirmation');
    const scanner = world.agent();
    const page = await scanner.get(link);
    expect(page.status).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.text).toMatch(/<form method="post" action="\/account\/confirm-email"/);
    expect((await scanner.get(link)).status).toBe(200);
    expect((await userRow(world, 'scanned@example.com')).email_confirmed).toBe(false);

    const { userId, code } = Object.fromEntries(new URL(link, 'http://x').searchParams);
    const forged = await world.agent().post('/account/confirm-email').type('form').send({ userId, code });
    expect(forged.status).toBe(403);
    expect((await userRow(world, 'scanned@example.com')).email_confirmed).toBe(false);

    const pressed = await confirmByButton(world.agent(), link);
    expect(pressed.status).toBe(200);
    expect(pressed.text).toContain('Thank you for confirming your email.');
    expect((await userRow(world, 'scanned@example.com')).email_confirmed).toBe(true);
  });

  it('a bad token posted from the page gets the 400 "Invalid token." page', async () => {
    await register(world.agent(), 'badtoken@example.com', PASSWORD);
    const [link] = await linksInMail('badtoken@example.com', 'EmailConfirmation');
    const tampered = link.replace(/code=([^&]+)/, (_m, c: string) => `code=${c.slice(0, -2)}xx`);
    const res = await confirmByButton(world.agent(), tampered);
    expect(res.status).toBe(400);
    expect(res.text).toContain('Invalid token.');
    expect((await userRow(world, 'badtoken@example.com')).email_confirmed).toBe(false);
  });
});

describe('registering an address that already has an account', () => {
  it('mails the owner of an unconfirmed account both a confirm link and a set-your-own-password link; the page is the same as for a new address', async () => {
    await register(world.agent(), 'again1@example.com', ATTACKER_PASSWORD);
    const fresh = await register(world.agent(), 'brand-new@example.com', PASSWORD);
    const second = await register(world.agent(), 'again1@example.com', OWNER_PASSWORD);
    const strip = (html: string) => html.replace(/name="_csrf" value="[^"]*"|name="csrf-token" content="[^"]*"|href="[^"]*"/g, '');
    expect(strip(second.text)).toBe(strip(fresh.text));

    const mails = await mailsTo('again1@example.com');
    expect(mails.map((m) => m.purpose)).toEqual(['EmailConfirmation', 'UnconfirmedAccountNotice']);
    const links = await linksInMail('again1@example.com', 'UnconfirmedAccountNotice');
    expect(links.map((l) => l.split('?')[0])).toEqual(['/account/confirm-email', '/account/reset-password']);

    // "Set your own password" works, and confirms the address.
    const reset = await resetThroughLink(links[1]);
    expect(reset.text).toContain('Your password has been reset.');
    expect((await userRow(world, 'again1@example.com')).email_confirmed).toBe(true);
    expect((await signIn(world.agent(), 'again1@example.com', OWNER_PASSWORD)).status).toBe(303);
  });

  it('the confirm link in that mail works too', async () => {
    await register(world.agent(), 'again2@example.com', PASSWORD);
    await register(world.agent(), 'again2@example.com', PASSWORD);
    const [confirm] = await linksInMail('again2@example.com', 'UnconfirmedAccountNotice');
    const res = await confirmByButton(world.agent(), confirm);
    expect(res.text).toContain('Thank you for confirming your email.');
    expect((await userRow(world, 'again2@example.com')).email_confirmed).toBe(true);
  });

  it('keeps the plain "already registered" mail, with no token, for a confirmed account', async () => {
    await account(world, 'confirmed-again@example.com');
    await register(world.agent(), 'confirmed-again@example.com', ATTACKER_PASSWORD);
    const [mail] = await mailsTo('confirmed-again@example.com');
    expect(mail.purpose).toBe('AlreadyRegistered');
    expect(mail.subject).toBe('You already have an account');
    expect(mail.body).not.toMatch(/code=/);
  });
});

describe('housekeeping of unconfirmed accounts', () => {
  it('deletes accounts unconfirmed for longer than UNCONFIRMED_ACCOUNT_DAYS (7), never one with a login, a role or a confirmed email, and audits each deletion', async () => {
    const { services, knex } = world;
    const stale = await account(world, 'stale@example.com', { confirmed: false });
    const withLogin = await account(world, 'stale-google@example.com', { confirmed: false, password: null });
    await knex('user_logins').insert({
      login_provider: 'Google',
      provider_key: 'g-stale',
      provider_display_name: 'Google',
      user_id: withLogin.id,
    });
    const withRole = await account(world, 'stale-admin@example.com', { confirmed: false });
    await services.users.addToRole(withRole.id, 'Admin');
    const confirmed = await account(world, 'old-but-confirmed@example.com');
    const prune = housekeepingTasks(services, world.sessionStore).unconfirmedAccounts;
    expect(prune).toBeTypeOf('function');

    clock.advance(6 * DAY);
    expect(await prune()).toBe(0);
    const young = await account(world, 'young@example.com', { confirmed: false });
    // The database stamps created_at with its own clock; this one is made "now" on the test clock.
    await knex('users').where({ id: young.id }).update({ created_at: clock() });
    clock.advance(1 * DAY + 60_000);
    expect(await prune()).toBeGreaterThanOrEqual(1);

    const left = await knex('users').whereIn('id', [stale.id, withLogin.id, withRole.id, confirmed.id, young.id]).pluck('email');
    expect(left.sort()).toEqual([
      'old-but-confirmed@example.com',
      'stale-admin@example.com',
      'stale-google@example.com',
      'young@example.com',
    ]);
    const audit = await knex('audit_events').where({ event_type: 'UnconfirmedAccountDeleted' });
    const detail = (a: { detail: unknown }) => (typeof a.detail === 'string' ? JSON.parse(a.detail) : a.detail) as { userId: string };
    expect(audit.map((a) => detail(a).userId)).toContain(stale.id);
    expect(audit.every((a) => a.user_id === null)).toBe(true);
    expect(await prune()).toBe(0);
  });
});
