import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSendGrid, type FakeSendGrid } from '../../fakes/fake-sendgrid.js';
import { getCsrf, postForm, setup, type World } from '../../helpers/setup.js';

let world: World;
let sendgrid: FakeSendGrid;
beforeAll(async () => {
  sendgrid = await startFakeSendGrid();
  world = await setup({
    env: { SENDGRID_API_KEY: 'SG.test-key', SENDGRID_BASE_URL: sendgrid.baseUrl, MESSAGING_TIMEOUT_MS: '2000' },
  });
  // A confirmed account made directly: with a real provider there is no demo link to click.
  const created = await world.services.users.createUser({
    email: 'blocked@example.com',
    password: 'correct horse battery staple',
    emailConfirmed: true,
  });
  if (!created.succeeded) throw new Error(created.errors.join());
});
afterAll(async () => {
  await sendgrid.close();
  await world.close();
});

const waitFor = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('forgot password with a provider that hangs', () => {
  it('answers at once while the mail waits in the outbox, and shows no link outside demo mode', async () => {
    sendgrid.hang();
    const agent = world.agent();
    const _csrf = await getCsrf(agent, '/account/forgot-password');
    const started = Date.now();
    const res = await agent.post('/account/forgot-password').type('form').send({ email: 'blocked@example.com', _csrf });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Please check your email to reset your password.');
    expect(res.text).not.toContain('data-demo-link');
    // The provider would hold it for MESSAGING_TIMEOUT_MS (2 s).
    expect(Date.now() - started).toBeLessThan(1_500);

    // The provider is still holding the request: the response did not wait for it.
    await waitFor(() => sendgrid.requests.length === 1);
    const row = await world.knex('outbox').where({ recipient: 'blocked@example.com', purpose: 'ResetPassword' }).first();
    expect(row.status).toBe('sending');
    expect(row.subject).toBe('Reset Password');
  });

  it('delivers the next one once the provider answers, and redacts the link from the stored body', async () => {
    await postForm(world.agent(), '/account/forgot-password', { email: 'blocked@example.com' });
    const newest = await world.knex('outbox').where({ purpose: 'ResetPassword' }).orderBy('id', 'desc').first();
    let row = newest;
    const end = Date.now() + 10_000;
    while (row.status !== 'sent' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
      row = await world.knex('outbox').where({ id: newest.id }).first();
    }
    expect(row.status).toBe('sent');
    expect(row.body).toContain('[redacted]');
    expect(row.body).not.toMatch(/code=[\w-]{43}/);
    const mail = sendgrid.requests.at(-1)!.body as { subject: string; content: Array<{ value: string }> };
    expect(mail.subject).toBe('Reset Password');
    expect(mail.content[0].value).toMatch(/reset-password\?userId=.+&code=[\w-]{43}/);
  });
});
