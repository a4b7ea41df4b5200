import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmByButton, demoLinkFrom, localPath, PASSWORD, postForm, setup, type World } from '../../helpers/setup.js';

let world: World;
beforeAll(async () => {
  world = await setup();
});
afterAll(() => world.close());

describe('register, confirm, sign in, sign off', () => {
  it('takes a new user from registration to the account page and out again', async () => {
    const browser = world.agent();
    const registered = await postForm(browser, '/account/register', {
      email: 'ada@example.com',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    expect(registered.status).toBe(200);
    expect(registered.text).toContain('Please check your email and confirm your email address.');
    const link = demoLinkFrom(registered.text);
    expect(link).toMatch(/^http:\/\/gatehouse\.test\/account\/confirm-email\?userId=/);

    const outbox = await world.knex('outbox').where({ recipient: 'ada@example.com' });
    expect(outbox).toHaveLength(1);
    expect(outbox[0].subject).toBe('Confirm your account');
    expect(outbox[0].body).toContain(link.replace(/&/g, '&'));

    const early = await postForm(browser, '/account/login', { email: 'ada@example.com', password: PASSWORD });
    expect(early.status).toBe(200);
    expect(early.text).toContain('You must have a confirmed email to log on.');

    const confirmed = await confirmByButton(browser, localPath(link));
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('Thank you for confirming your email');

    const signedIn = await postForm(browser, '/account/login', { email: 'ADA@example.com', password: PASSWORD });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/');

    const manage = await browser.get('/manage');
    expect(manage.status).toBe(200);
    expect(manage.text).toContain('data-email>ada@example.com<');
    expect(manage.text).toContain('data-has-password="true"');

    const off = await postForm(browser, '/account/log-off', {}, '/manage');
    expect(off.status).toBe(303);
    const after = await browser.get('/manage');
    expect(after.status).toBe(302);
    expect(after.headers.location).toBe('/account/login?returnUrl=%2Fmanage');
  });
});
