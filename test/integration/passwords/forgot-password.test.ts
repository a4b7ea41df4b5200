import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PASSWORD, postForm, registerConfirmed, setup, demoLinkFrom, type World } from '../../helpers/setup.js';

let world: World;
beforeAll(async () => {
  world = await setup();
  await registerConfirmed(world, 'known@example.com');
  await postForm(world.agent(), '/account/register', { email: 'unconfirmed@example.com', password: PASSWORD, confirmPassword: PASSWORD });
});
afterAll(() => world.close());

const resetMails = (recipient: string) => world.knex('outbox').where({ recipient, purpose: 'ResetPassword' });
const forgot = (email: string) => postForm(world.agent(), '/account/forgot-password', { email });
/** The page without its per-request parts (CSRF token, demo link). */
const visible = (html: string) =>
  html
    .replace(/name="_csrf" value="[^"]+"|content="[^"]+"/g, '')
    .replace(/<div class="alert alert-info">[\s\S]*?<\/div>/, '')
    .replace(/\s+/g, ' ');

describe('forgot password', () => {
  it('shows the form with a labelled email field', async () => {
    const res = await world.agent().get('/account/forgot-password');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<label for="field-email"');
    expect(res.text).toContain('Email Link');
  });

  it('mails a reset link to a confirmed account, shown in demo mode', async () => {
    const res = await forgot('KNOWN@example.com');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Please check your email to reset your password.');
    const link = demoLinkFrom(res.text);
    expect(link).toMatch(/^http:\/\/gatehouse\.test\/account\/reset-password\?userId=[0-9a-f-]{36}&code=[\w-]{43}$/);
    const [mail] = await resetMails('known@example.com');
    expect(mail.subject).toBe('Reset Password');
    expect(mail.body).toBe(`Please reset your password by clicking here: ${link}`);
  });

  it('answers an unknown and an unconfirmed address with the same page; mails nothing to the unknown one (I78)', async () => {
    const known = await forgot('known@example.com');
    const res = await forgot('nobody@example.com');
    expect(res.status).toBe(200);
    expect(visible(res.text)).toBe(visible(known.text));
    expect(res.text).not.toContain('data-demo-link');
    expect(await resetMails('nobody@example.com')).toHaveLength(0);
    const notSent = await world.knex('audit_events').where({ event_type: 'PasswordResetNotSent' });
    expect(notSent.map((e) => e.detail.reason)).toEqual(['UnknownUser']);
  });

  it('mails an unconfirmed account too: its owner may need to take it back from whoever registered it (14.3)', async () => {
    const unknown = await forgot('nobody-else@example.com');
    const res = await forgot('unconfirmed@example.com');
    expect(visible(res.text)).toBe(visible(unknown.text));
    const mails = await resetMails('unconfirmed@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe('Reset Password');
  });

  it('builds the link from APP_BASE_URL, never from the Host header (E54)', async () => {
    const agent = world.agent();
    const page = await agent.get('/account/forgot-password');
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const res = await agent
      .post('/account/forgot-password')
      .set('Host', 'evil.example')
      .type('form')
      .send({ email: 'known@example.com', _csrf });
    expect(demoLinkFrom(res.text)).toMatch(/^http:\/\/gatehouse\.test\//);
  });

  it('re-renders the form with the error beside the field for a missing or malformed address', async () => {
    const empty = await forgot('');
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('id="field-email-error"');
    expect(empty.text).toContain('The Email field is required.');
    const bad = await forgot('not-an-address');
    expect(bad.text).toContain('The Email field is not a valid e-mail address.');
  });

  it("accepts Chrome's same-origin post under Referrer-Policy: no-referrer (Origin: null), not a cross-site one", async () => {
    const agent = world.agent();
    const page = await agent.get('/account/forgot-password');
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const send = (site: string) =>
      agent
        .post('/account/forgot-password')
        .set('Origin', 'null')
        .set('Sec-Fetch-Site', site)
        .type('form')
        .send({ email: 'nobody@example.com', _csrf });
    expect((await send('same-origin')).status).toBe(200);
    expect((await send('cross-site')).status).toBe(403);
  });

  it('refuses a POST without a CSRF token', async () => {
    const res = await world.agent().post('/account/forgot-password').type('form').send({ email: 'known@example.com' });
    expect(res.status).toBe(403);
  });
});

describe('sign-in and unknown addresses (I75)', () => {
  it('spends one password verification for an unknown email too', async () => {
    // verifyDummy goes through hasher.verify, the path a real verification takes, so counting
    // hasher.verify counts every argon2 verification: exactly one, as for a known address
    // (test/security/i-enumeration.test.ts case 75). More would be a timing difference too.
    const verify = vi.spyOn(world.services.hasher, 'verify');
    try {
      const res = await postForm(
        world.agent(),
        '/account/login',
        { email: 'ghost@example.com', password: 'wrong password here' },
        '/account/login',
      );
      expect(res.text).toContain('Invalid login attempt.');
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });
});
