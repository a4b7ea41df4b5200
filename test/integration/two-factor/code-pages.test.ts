/**
 * Issue 10 items 2 and 3: what the Send Code and Verify Code pages say and offer. The flow
 * itself (sending, checking, lockout) has its own files; this one reads the pages.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postForm, setup, type World } from '../../helpers/setup.js';
import {
  clearSignInThrottle,
  latestCode,
  passwordStep,
  PHONE_E164,
  relaxedSendLimits,
  sendCode,
  twoFactorAccount,
  verifyCode,
  wrongFor,
} from '../../helpers/two-factor.js';

let world: World;
beforeAll(async () => {
  world = await setup({ env: { ...relaxedSendLimits, REMEMBER_BROWSER_DAYS: '14' } });
  await twoFactorAccount(world, 'ada@example.com');
  await twoFactorAccount(world, 'mail-only@example.com', { phone: false });
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

/** The `<input>` tag with this id, as the page renders it. */
const inputTag = (html: string, id: string) => new RegExp(`<input[^>]*id="${id}"[^>]*>`).exec(html)?.[0] ?? '';

describe('Send Code', () => {
  it('asks "How should we send your code?" with a radio per way, labelled with the masked destination', async () => {
    const { agent } = await passwordStep(world, 'ada@example.com');
    const page = await agent.get('/account/send-code');
    expect(page.text).toContain('How should we send your code?');
    expect(page.text).not.toContain('<select');
    expect(page.text).toMatch(/<input[^>]*type="radio"[^>]*name="selectedProvider"[^>]*value="Phone Code" checked/);
    expect(page.text).toMatch(/<input[^>]*type="radio"[^>]*name="selectedProvider"[^>]*value="Email Code"/);
    expect(page.text).toContain('Text a code to •••• 4567');
    expect(page.text).toContain('Email a code to a•••@example.com');
    expect(page.text).not.toContain('+41');
    expect(page.text).toMatch(/<button type="submit"[^>]*>Send code<\/button>/);
    expect(page.text).not.toContain('Select Two-Factor Authentication Provider:');
  });

  it('offers one full-width button that sends straight away when there is only one way', async () => {
    const { agent } = await passwordStep(world, 'mail-only@example.com');
    const page = await agent.get('/account/send-code');
    expect(page.text).not.toContain('type="radio"');
    expect(page.text).not.toContain('>Send code<');
    expect(page.text).toMatch(
      /<button type="submit" name="selectedProvider" value="Email Code" class="[^"]*w-100[^"]*">Email a code to m•••@example.com<\/button>/,
    );
    const sent = await sendCode(agent, 'Email Code');
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toMatch(/^\/account\/verify-code/);
  });

  it('offers a way to cancel the sign-in on both pages', async () => {
    const { agent } = await passwordStep(world, 'ada@example.com');
    const send = await agent.get('/account/send-code');
    expect(send.text).toMatch(/<form method="post" action="\/account\/cancel-sign-in"[^>]*>/);
    expect(send.text).toContain('Cancel sign-in');
    const sent = await sendCode(agent, 'Phone Code');
    const verify = await agent.get(sent.headers.location);
    expect(verify.text).toMatch(/<form method="post" action="\/account\/cancel-sign-in"[^>]*>/);
    expect(verify.text).toContain('Cancel sign-in');
  });

  it('cancel-sign-in drops the pending sign-in and goes back to the login page', async () => {
    const { agent } = await passwordStep(world, 'ada@example.com');
    await sendCode(agent, 'Phone Code');
    const cancelled = await postForm(agent, '/account/cancel-sign-in', {}, '/account/send-code');
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.location).toBe('/account/login');
    const send = await agent.get('/account/send-code');
    expect(send.status).toBe(302);
    expect(send.headers.location).toBe('/account/login');
    expect((await agent.get('/account/verify-code')).headers.location).toBe('/account/login');
    // The code sent before cancelling no longer signs anyone in from this browser.
    const code = await latestCode(world, PHONE_E164, 'TwoFactor');
    const late = await verifyCode(agent, { provider: 'Phone Code', code });
    expect(late.status).toBe(400);
    expect((await agent.get('/manage')).status).toBe(302);
  });

  it('cancel-sign-in needs the CSRF token like every POST', async () => {
    const { agent } = await passwordStep(world, 'ada@example.com');
    const res = await agent.post('/account/cancel-sign-in').type('form').send({});
    expect(res.status).toBe(403);
    expect((await agent.get('/account/send-code')).status).toBe(200);
  });
});

describe('Verify Code', () => {
  async function atVerify(email = 'ada@example.com', provider = 'Phone Code') {
    const { agent } = await passwordStep(world, email);
    const sent = await sendCode(agent, provider);
    const page = await agent.get(sent.headers.location);
    return { agent, page };
  }

  it('says where the code went (masked) and, in demo mode, "Demo mode: the code we sent is"', async () => {
    const { page } = await atVerify();
    expect(page.text).not.toContain('the current Phone Code code is');
    expect(page.text).toContain('We sent a code by text message to your phone.');
    expect(page.text).toContain('•••• 4567');
    expect(page.text).toMatch(/Demo mode: the code we sent is <strong data-demo-code>\d{6}<\/strong>/);
    const mail = await atVerify('mail-only@example.com', 'Email Code');
    expect(mail.page.text).toContain('We sent a code by email.');
    expect(mail.page.text).toContain('m•••@example.com');
  });

  it('explains both checkboxes: for how long this browser is remembered and where to forget it; Remember me keeps you signed in', async () => {
    const { page } = await atVerify();
    expect(page.text).toMatch(/<label class="form-check-label" for="field-rememberBrowser">Remember this browser<\/label>/);
    expect(page.text).toContain('14 days');
    expect(page.text).toContain('Account security page');
    expect(inputTag(page.text, 'field-rememberBrowser')).toContain('aria-describedby="field-rememberBrowser-hint"');
    expect(page.text).toMatch(/<label class="form-check-label" for="field-rememberMe">Remember me<\/label>/);
    expect(page.text).toContain('Keeps you signed in');
    expect(inputTag(page.text, 'field-rememberMe')).toContain('aria-describedby="field-rememberMe-hint"');
    expect(page.text).toMatch(/<button type="submit"[^>]*>Verify<\/button>/);
  });

  it('gives the code field inputmode, autocomplete, maxlength and pattern, and no autofocus before an error', async () => {
    const { page } = await atVerify();
    const input = inputTag(page.text, 'field-code');
    expect(input).toContain('inputmode="numeric"');
    expect(input).toContain('autocomplete="one-time-code"');
    expect(input).toMatch(/maxlength="\d+"/);
    expect(input).toMatch(/pattern="[^"]+"/);
    expect(input).not.toContain('is-invalid');
    expect(input).not.toContain('autofocus');
  });

  it('after a wrong code says "Invalid code." and how many tries are left, down to "1 try left"', async () => {
    const { agent } = await atVerify();
    const code = await latestCode(world, PHONE_E164, 'TwoFactor');
    const expected = ['You have 4 tries left.', 'You have 3 tries left.', 'You have 2 tries left.', 'You have 1 try left.'];
    for (const [i, text] of expected.entries()) {
      const res = await verifyCode(agent, { provider: 'Phone Code', code: wrongFor(code, i + 1) });
      expect(res.status).toBe(200);
      expect(res.text).toContain('Invalid code.');
      expect(res.text).toContain(text);
    }
    // The right code still works with one try left.
    expect((await verifyCode(agent, { provider: 'Phone Code', code })).status).toBe(303);
  });

  it('marks the code field invalid, with the message beside it and autofocus on it', async () => {
    const { agent } = await atVerify();
    const code = await latestCode(world, PHONE_E164, 'TwoFactor');
    const res = await verifyCode(agent, { provider: 'Phone Code', code: wrongFor(code) });
    const input = inputTag(res.text, 'field-code');
    expect(input).toContain('is-invalid');
    expect(input).toContain('aria-invalid="true"');
    expect(input).toMatch(/aria-describedby="[^"]*field-code-error/);
    expect(input).toContain('autofocus');
    expect(res.text).toMatch(/<div id="field-code-error"[^>]*>You have 4 tries left.<\/div>/);
    // A code that is not six digits is refused uncounted, and the field is marked too.
    const malformed = await verifyCode(agent, { provider: 'Phone Code', code: '12ab' });
    expect(malformed.text).toContain('Invalid code.');
    expect(inputTag(malformed.text, 'field-code')).toContain('aria-invalid="true"');
    expect(inputTag(malformed.text, 'field-code')).toContain('autofocus');
  });
});
