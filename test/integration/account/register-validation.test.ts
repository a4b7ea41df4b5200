import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmWithQuery, getCsrf, PASSWORD, postForm, registerConfirmed, setup, type World } from '../../helpers/setup.js';

let world: World;
beforeAll(async () => {
  world = await setup();
});
afterAll(() => world.close());

const userCount = async () => Number((await world.knex('users').count('* as n'))[0].n);
const outboxCount = async () => Number((await world.knex('outbox').count('* as n'))[0].n);

describe('registration rejects bad input beside the field and changes nothing', () => {
  const cases: Array<[string, Record<string, string>, string, string]> = [
    ['a missing email', { email: '', password: PASSWORD, confirmPassword: PASSWORD }, 'email', 'The Email field is required.'],
    [
      'a malformed email',
      { email: 'not-an-email', password: PASSWORD, confirmPassword: PASSWORD },
      'email',
      'is not a valid e-mail address',
    ],
    [
      'an email with a space',
      { email: 'a b@example.com', password: PASSWORD, confirmPassword: PASSWORD },
      'email',
      'is not a valid e-mail address',
    ],
    ['a missing password', { email: 'x@example.com', password: '', confirmPassword: '' }, 'password', 'The Password field is required.'],
    [
      'mismatched passwords',
      { email: 'x@example.com', password: PASSWORD, confirmPassword: `${PASSWORD}!` },
      'confirmPassword',
      'do not match',
    ],
    ['a short password', { email: 'x@example.com', password: 'short', confirmPassword: 'short' }, 'password', 'at least 8 characters'],
    ['a common password', { email: 'x@example.com', password: 'password', confirmPassword: 'password' }, 'password', 'too common'],
    [
      'an over-long password',
      { email: 'x@example.com', password: 'a'.repeat(300), confirmPassword: 'a'.repeat(300) },
      'password',
      'at most 256',
    ],
  ];
  for (const [name, fields, field, message] of cases) {
    it(`shows the error for ${name}`, async () => {
      const before = [await userCount(), await outboxCount()];
      const res = await postForm(world.agent(), '/account/register', fields);
      expect(res.status).toBe(200);
      expect(res.text).toContain(`id="field-${field}-error"`);
      expect(res.text).toContain(message);
      expect([await userCount(), await outboxCount()]).toEqual(before);
    });
  }

  it('treats repeated fields (arrays) as missing instead of crashing', async () => {
    const agent = world.agent();
    const _csrf = await getCsrf(agent, '/account/register');
    const res = await agent
      .post('/account/register')
      .type('form')
      .send(`_csrf=${_csrf}&email=a@example.com&email=b@example.com&password=${encodeURIComponent(PASSWORD)}&confirmPassword=x`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('The Email field is required.');
  });

  it('keeps a password with spaces and emoji exactly as typed', async () => {
    const password = '  🔐 sunrise over the harbour 🌅  ';
    await registerConfirmed(world, 'emoji@example.com', password);
    const ok = await postForm(world.agent(), '/account/login', { email: 'emoji@example.com', password });
    expect(ok.status).toBe(303);
    const trimmed = await postForm(world.agent(), '/account/login', { email: 'emoji@example.com', password: password.trim() });
    expect(trimmed.text).toContain('Invalid login attempt.');
  });
});

describe('registering an address that already has an account', () => {
  it('shows the same page and emails the owner instead of revealing the account', async () => {
    const fresh = await postForm(world.agent(), '/account/register', {
      email: 'owner@example.com',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    const again = await postForm(world.agent(), '/account/register', {
      email: 'Owner@Example.com',
      password: 'another good passphrase',
      confirmPassword: 'another good passphrase',
    });
    expect(again.status).toBe(fresh.status);
    const strip = (html: string) =>
      html
        .replace(/<a data-demo-link[^>]*>/, '')
        .replace(/name="csrf-token" content="[^"]*"/, '')
        .replace(/value="[^"]*"/g, '');
    expect(strip(again.text)).toBe(strip(fresh.text));
    const mails = await world.knex('outbox').where({ recipient: 'owner@example.com' }).orderBy('id');
    // The account is still unconfirmed, so the notice offers both ways to claim it (issue 14.3).
    expect(mails.map((m) => m.subject)).toEqual(['Confirm your account', 'Confirm your account, or set your own password']);
    expect(await world.knex('users').where({ email: 'owner@example.com' })).toHaveLength(1);
  });
});

describe('email confirmation links', () => {
  it('reject a wrong, tampered or reused code with a clear 400 page', async () => {
    const res = await postForm(world.agent(), '/account/register', {
      email: 'conf@example.com',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    const link = /data-demo-link[^>]*href="([^"]+)"/.exec(res.text)![1].replace(/&amp;/g, '&');
    const url = new URL(link);
    const userId = url.searchParams.get('userId')!;
    const code = url.searchParams.get('code')!;
    const confirmed = async () => (await world.knex('users').where({ id: userId }).first()).email_confirmed;

    for (const query of [
      `userId=${userId}&code=${code.slice(0, -1)}x`,
      `userId=${userId}&code=`,
      `userId=${userId}`,
      `userId=not-a-uuid&code=${code}`,
      `userId=00000000-0000-0000-0000-000000000000&code=${code}`,
      `userId[]=${userId}&code=${code}`,
      `userId=${userId}&code=${code.toUpperCase()}`,
    ]) {
      const bad = await confirmWithQuery(world.agent(), query);
      expect(bad.status, query).toBe(400);
      expect(bad.text).toContain('Invalid token.');
      expect(await confirmed()).toBe(false);
    }
    const good = await confirmWithQuery(world.agent(), `userId=${userId}&code=${code}`);
    expect(good.status).toBe(200);
    expect(await confirmed()).toBe(true);
    // Issue 10 item 6: the link opened again says the address is confirmed and offers sign-in.
    const reused = await world.agent().get(`/account/confirm-email?userId=${userId}&code=${code}`);
    expect(reused.status).toBe(200);
    expect(reused.text).toContain('This email address is already confirmed. You can log in.');
    expect(reused.text).toContain('href="/account/login"');
    expect(reused.text).not.toContain('Invalid token.');
  });

  it('use the configured base URL, never the Host header', async () => {
    const agent = world.agent();
    const _csrf = await getCsrf(agent, '/account/register');
    const res = await agent
      .post('/account/register')
      .set('Host', 'evil.example')
      .type('form')
      .send({ _csrf, email: 'host@example.com', password: PASSWORD, confirmPassword: PASSWORD });
    expect(res.status).toBe(200);
    const mail = await world.knex('outbox').where({ recipient: 'host@example.com' }).first();
    expect(mail.body).toContain('http://gatehouse.test/account/confirm-email?');
    expect(mail.body).not.toContain('evil.example');
  });

  it('say a confirmed address is confirmed when the button is pressed again on a page opened before (issue 10 item 6)', async () => {
    const res = await postForm(
      world.agent(),
      '/account/register',
      { email: 'twice@example.com', password: PASSWORD, confirmPassword: PASSWORD },
      '/account/register',
    );
    const link = new URL(/http:\/\/[^\s"<]*confirm-email\?[^\s"<]*/.exec(res.text.replace(/&amp;/g, '&'))![0]);
    const earlier = world.agent();
    const form = await earlier.get(link.pathname + link.search);
    const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(form.text)![1].replace(/&amp;/g, '&');
    expect((await confirmWithQuery(world.agent(), link.search.slice(1))).status).toBe(200);
    const again = await earlier
      .post('/account/confirm-email')
      .type('form')
      .send({ userId: hidden('userId'), code: hidden('code'), _csrf: hidden('_csrf') });
    expect(again.status).toBe(200);
    expect(again.text).toContain('This email address is already confirmed. You can log in.');
  });
});
