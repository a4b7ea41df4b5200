import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, postForm, registerConfirmed, setup, signedInAgent, type Agent, type World } from '../../helpers/setup.js';

let world: World;
beforeAll(async () => {
  world = await setup();
});
afterAll(() => world.close());

const NEW_PASSWORD = 'another long passphrase 99';
const sessionCookie = (res: { headers: Record<string, unknown> }) =>
  String((res.headers['set-cookie'] as string[] | undefined)?.find((c) => c.startsWith('gatehouse.sid=')) ?? '');

const change = (agent: Agent, fields: Record<string, string>) =>
  postForm(agent, '/manage/change-password', {
    oldPassword: PASSWORD,
    newPassword: NEW_PASSWORD,
    confirmPassword: NEW_PASSWORD,
    ...fields,
  });

describe('change password', () => {
  it('needs the old password; success keeps this session in a new id, ends the others and mails a notice', async () => {
    const email = await registerConfirmed(world, 'changer@example.com');
    const agent = await signedInAgent(world, email);
    const other = await signedInAgent(world, email);
    const form = await agent.get('/manage/change-password');
    expect(form.text).toContain('<label for="field-oldPassword"');
    const stampBefore = (await world.knex('users').where({ email }).first()).security_stamp;

    const res = await change(agent, {});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/manage?message=ChangePasswordSuccess');
    expect(sessionCookie(res)).toMatch(/^gatehouse\.sid=/);
    const manage = await agent.get(res.headers.location);
    expect(manage.status).toBe(200);
    expect(manage.text).toContain('Your password has been changed.');
    expect((await other.get('/manage')).status).toBe(302);

    const user = await world.knex('users').where({ email }).first();
    expect(user.security_stamp).not.toBe(stampBefore);
    expect(await world.knex('outbox').where({ recipient: email, subject: 'Your password was changed' })).toHaveLength(1);
    expect(await world.knex('audit_events').where({ user_id: user.id, event_type: 'PasswordChanged' })).toHaveLength(1);
    await signedInAgent(world, email, NEW_PASSWORD);
  });

  it('refuses a wrong old password beside the field, and changes nothing', async () => {
    const email = await registerConfirmed(world, 'wrong.old@example.com');
    const agent = await signedInAgent(world, email);
    const before = await world.knex('users').where({ email }).first();
    const res = await change(agent, { oldPassword: 'not my password at all' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="field-oldPassword-error"');
    expect(res.text).toContain('Incorrect password.');
    const after = await world.knex('users').where({ email }).first();
    expect(after.security_stamp).toBe(before.security_stamp);
    expect((await agent.get('/manage')).status).toBe(200);
  });

  it('checks the new password against the policy and the confirmation', async () => {
    const email = await registerConfirmed(world, 'policy@example.com');
    const agent = await signedInAgent(world, email);
    const res = await change(agent, { newPassword: 'password1', confirmPassword: 'password2' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="field-newPassword-error"');
    expect(res.text).toContain('id="field-confirmPassword-error"');
  });

  it('throttles guesses of the old password from a signed-in session (D36)', async () => {
    const email = await registerConfirmed(world, 'guessed@example.com');
    const agent = await signedInAgent(world, email);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await change(agent, { oldPassword: `guess number ${i}` })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses[10]).toBe(429);
    const right = await change(agent, {});
    expect(right.status).toBe(429);
  });

  it('is for signed-in users only, and needs a CSRF token (A1)', async () => {
    expect((await world.agent().get('/manage/change-password')).headers.location).toBe(
      '/account/login?returnUrl=%2Fmanage%2Fchange-password',
    );
    const email = await registerConfirmed(world, 'csrf.change@example.com');
    const agent = await signedInAgent(world, email);
    const res = await agent
      .post('/manage/change-password')
      .type('form')
      .send({ oldPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });
    expect(res.status).toBe(403);
  });
});

describe('set password', () => {
  it('is not offered to an account that has a password', async () => {
    const email = await registerConfirmed(world, 'has.one@example.com');
    const agent = await signedInAgent(world, email);
    expect((await agent.get('/manage/set-password')).headers.location).toBe('/manage');
    const res = await postForm(agent, '/manage/set-password', { newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, '/manage');
    expect(res.status).toBe(200);
    expect(res.text).toContain('User already has a password set.');
    await signedInAgent(world, email, PASSWORD);
  });
});
