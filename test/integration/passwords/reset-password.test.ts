import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTestClock,
  demoLinkFrom,
  localPath,
  PASSWORD,
  postForm,
  registerConfirmed,
  setup,
  signedInAgent,
  type World,
} from '../../helpers/setup.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  world = await setup({ overrides: { clock } });
});
afterAll(() => world.close());

const NEW_PASSWORD = 'a brand new passphrase 42';

/** Requests a reset link through the page and returns its path (/account/reset-password?...). */
async function requestLink(email: string): Promise<string> {
  const res = await postForm(world.agent(), '/account/forgot-password', { email });
  return localPath(demoLinkFrom(res.text));
}

const codeOf = (path: string) => new URL(path, 'http://x').searchParams.get('code')!;
const userIdOf = (path: string) => new URL(path, 'http://x').searchParams.get('userId')!;

async function reset(path: string, fields: Partial<Record<'userId' | 'password' | 'confirmPassword' | 'code', string>> = {}) {
  const agent = world.agent();
  const form = await agent.get(path);
  const _csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
  const res = await agent
    .post('/account/reset-password')
    .type('form')
    .send({
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
      userId: userIdOf(path),
      code: codeOf(path),
      ...fields,
      _csrf,
    });
  return Object.assign(res, { agent });
}

const userRow = (email: string) => world.knex('users').where({ email }).first();

async function expectNothingChanged(
  email: string,
  before: { password_hash: string; security_stamp: string },
  res: { status: number; text: string },
) {
  expect(res.status).toBe(200);
  expect(res.text).toContain('Invalid token.');
  const after = await userRow(email);
  expect(after.password_hash).toBe(before.password_hash);
  expect(after.security_stamp).toBe(before.security_stamp);
}

describe('reset password', () => {
  it('sets the new password, ends every session, clears a lockout, mails a notice and does not sign in', async () => {
    const email = await registerConfirmed(world, 'reset.me@example.com');
    const session = await signedInAgent(world, email);
    await world
      .knex('users')
      .where({ email })
      .update({ lockout_end: new Date(clock().getTime() + 3_600_000), access_failed_count: 3 });
    const path = await requestLink(email);
    const form = await world.agent().get(path);
    expect(form.text).toContain('name="code" value="');
    expect(form.text).toContain('<label for="field-confirmPassword"');

    const res = await reset(path);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Your password has been reset.');
    expect((await res.agent.get('/manage')).status).toBe(302);
    expect((await session.get('/manage')).status).toBe(302);

    const user = await userRow(email);
    expect(user.lockout_end).toBeNull();
    expect(user.access_failed_count).toBe(0);
    expect(await world.knex('outbox').where({ recipient: email, subject: 'Your password was changed' })).toHaveLength(1);
    expect(await world.knex('audit_events').where({ user_id: user.id, event_type: 'PasswordReset' })).toHaveLength(1);
    await signedInAgent(world, email, NEW_PASSWORD);
    await expect(signedInAgent(world, email, PASSWORD)).rejects.toThrow();
  });

  it('works once only (E49)', async () => {
    const email = await registerConfirmed(world, 'once@example.com');
    const path = await requestLink(email);
    expect((await reset(path)).text).toContain('Your password has been reset.');
    const before = await userRow(email);
    await expectNothingChanged(
      email,
      before,
      await reset(path, { password: 'yet another passphrase 7', confirmPassword: 'yet another passphrase 7' }),
    );
  });

  it('expires after RESET_TOKEN_MINUTES, one hour by default (E50)', async () => {
    const email = await registerConfirmed(world, 'late@example.com');
    const path = await requestLink(email);
    clock.advance(60 * 60_000 + 1_000);
    await expectNothingChanged(email, await userRow(email), await reset(path));
  });

  it("is bound to its user: A's token with B's user id fails (E48)", async () => {
    const a = await registerConfirmed(world, 'alice.reset@example.com');
    const b = await registerConfirmed(world, 'bob.reset@example.com');
    const path = await requestLink(a);
    const bobId = (await userRow(b)).id as string;
    await expectNothingChanged(b, await userRow(b), await reset(path, { userId: bobId }));
    await expectNothingChanged(a, await userRow(a), await reset(path, { userId: '00000000-0000-4000-8000-000000000000' }));
    expect((await reset(path)).text).toContain('Your password has been reset.');
  });

  it('is bound to its purpose: an email-confirmation code fails (E47)', async () => {
    const registered = await postForm(world.agent(), '/account/register', {
      email: 'purpose@example.com',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    const confirmPath = localPath(demoLinkFrom(registered.text));
    await world.knex('users').where({ email: 'purpose@example.com' }).update({ email_confirmed: true });
    await expectNothingChanged(
      'purpose@example.com',
      await userRow('purpose@example.com'),
      await reset(confirmPath.replace('/account/confirm-email', '/account/reset-password')),
    );
  });

  it('stops working when the stamp changes, and when a newer link is sent (E51)', async () => {
    const email = await registerConfirmed(world, 'stamp@example.com');
    const first = await requestLink(email);
    const second = await requestLink(email);
    await expectNothingChanged(email, await userRow(email), await reset(first));
    const user = await userRow(email);
    await world.services.users.updateSecurityStamp(user.id);
    await expectNothingChanged(email, await userRow(email), await reset(second));
  });

  it('answers a malformed, truncated or re-cased token with "Invalid token." (E53)', async () => {
    const email = await registerConfirmed(world, 'malformed@example.com');
    const path = await requestLink(email);
    const code = codeOf(path);
    for (const bad of [code.slice(0, 10), code.toUpperCase(), 'x'.repeat(400), '%00%ff', '   ']) {
      await expectNothingChanged(email, await userRow(email), await reset(path, { code: bad }));
    }
    expect((await reset(path)).text).toContain('Your password has been reset.');
  });

  it('keeps two-factor on and still asks for it (C24)', async () => {
    const email = await registerConfirmed(world, 'tfa.reset@example.com');
    await world.knex('users').where({ email }).update({ two_factor_enabled: true });
    const path = await requestLink(email);
    expect((await reset(path)).text).toContain('Your password has been reset.');
    expect((await userRow(email)).two_factor_enabled).toBe(true);
    const browser = world.agent();
    const login = await postForm(browser, '/account/login', { email, password: NEW_PASSWORD });
    // Not signed in: the second factor comes next.
    expect(login.headers.location).toMatch(/^\/account\/send-code\?/);
    expect((await browser.get('/manage')).status).toBe(302);
  });

  it('re-renders the form with errors beside the fields, and keeps the token usable', async () => {
    const email = await registerConfirmed(world, 'typo@example.com');
    const path = await requestLink(email);
    const res = await reset(path, { password: 'short', confirmPassword: 'different' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="field-password-error"');
    expect(res.text).toContain('Passwords must be at least 8 characters.');
    expect(res.text).toContain('id="field-confirmPassword-error"');
    expect(res.text).toContain(`name="code" value="${codeOf(path)}"`);
    expect((await reset(path, { password: 'password', confirmPassword: 'password' })).text).toContain('too common');
    expect((await reset(path)).text).toContain('Your password has been reset.');
  });

  it('asks only for the new password: the link gives the user and the code as hidden fields (issue 10.5)', async () => {
    const email = await registerConfirmed(world, 'no.email.field@example.com');
    const path = await requestLink(email);
    const form = await world.agent().get(path);
    expect(form.status).toBe(200);
    expect(form.text).toContain(`<input type="hidden" name="userId" value="${userIdOf(path)}">`);
    expect(form.text).toContain(`<input type="hidden" name="code" value="${codeOf(path)}">`);
    expect(form.text).not.toMatch(/name="email"/);
    expect(form.text).not.toContain('<label for="field-email"');
    // Nothing about the account is shown: the page would otherwise tell anyone with a user id whose it is.
    expect(form.text).not.toContain(email);
    expect(form.text).toContain('<label for="field-password"');
    expect(form.text).toContain('<label for="field-confirmPassword"');
  });

  it('resets with the user id and code from the link and no email at all', async () => {
    const email = await registerConfirmed(world, 'no.email.posted@example.com');
    const path = await requestLink(email);
    const res = await reset(path);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Your password has been reset.');
    await signedInAgent(world, email, NEW_PASSWORD);
  });

  it('refuses a link or a post with a malformed user id as "Invalid token.", without a 500', async () => {
    const email = await registerConfirmed(world, 'malformed.id@example.com');
    const path = await requestLink(email);
    const code = codeOf(path);
    for (const query of [`code=${code}`, `userId=&code=${code}`, `userId=x&code=${code}`, `userId=${userIdOf(path)}x&code=${code}`]) {
      const res = await world.agent().get(`/account/reset-password?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.text, query).toContain('Invalid token.');
    }
    for (const userId of ['', 'x', "1' OR '1'='1", 'u'.repeat(5_000), `${userIdOf(path)}0`, userIdOf(path).replace(/-/g, '')]) {
      await expectNothingChanged(email, await userRow(email), await reset(path, { userId }));
    }
    expect((await reset(path)).text).toContain('Your password has been reset.');
  });

  it('hashes the new password before looking up the id, for the right user, another, an unknown or a malformed id alike', async () => {
    const email = await registerConfirmed(world, 'same.work@example.com');
    const other = await registerConfirmed(world, 'same.work.other@example.com');
    await requestLink(email);
    const ids = [(await userRow(email)).id, (await userRow(other)).id, '00000000-0000-4000-8000-000000000000', 'x'];
    const { hasher, store } = world.services;
    const calls: string[] = [];
    const original = { hash: hasher.hash.bind(hasher), findById: store.findById.bind(store) };
    const hash = vi.spyOn(hasher, 'hash').mockImplementation(async (password) => {
      calls.push('hash');
      return original.hash(password);
    });
    const findById = vi.spyOn(store, 'findById').mockImplementation(async (db, id) => {
      calls.push('findById');
      return original.findById(db, id);
    });
    try {
      for (const userId of ids) {
        calls.length = 0;
        const result = await world.services.passwordReset.resetPassword(userId, 'A'.repeat(43), NEW_PASSWORD);
        expect(result.succeeded, userId).toBe(false);
        expect(calls, userId).toEqual(['hash', 'findById']);
      }
    } finally {
      hash.mockRestore();
      findById.mockRestore();
    }
  });

  it('shows the error page for a reset link without a code', async () => {
    const res = await world.agent().get('/account/reset-password');
    expect(res.status).toBe(400);
    expect(res.text).toContain('Invalid token.');
  });
});

describe('RESET_TOKEN_MINUTES', () => {
  it('sets how long a reset link lives', async () => {
    const shortClock = createTestClock();
    const short = await setup({ env: { RESET_TOKEN_MINUTES: '15' }, overrides: { clock: shortClock } });
    try {
      await registerConfirmed(short, 'short@example.com');
      const res = await postForm(short.agent(), '/account/forgot-password', { email: 'short@example.com' });
      const row = await short.knex('user_tokens').where({ purpose: 'ResetPassword' }).first();
      expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBe(15 * 60_000);
      expect(res.text).toContain('data-demo-link');
    } finally {
      await short.close();
    }
  });
});
