import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock, postForm, registerConfirmed, setup, signedInAgent, type Agent, type World } from '../../helpers/setup.js';
import {
  auditCount,
  clearSignInThrottle,
  demoCodeFrom,
  PHONE,
  PHONE_E164,
  relaxedSendLimits,
  userByEmail,
} from '../../helpers/two-factor.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  world = await setup({ env: relaxedSendLimits, overrides: { clock } });
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

async function account(email: string): Promise<Agent> {
  await registerConfirmed(world, email);
  return signedInAgent(world, email);
}

const smsCount = () =>
  world
    .knex('outbox')
    .where({ channel: 'sms' })
    .count<{ n: number }[]>('* as n')
    .then(([r]) => Number(r.n));

describe('adding a phone number', () => {
  it('texts a code, verifies it and saves the number in E.164 (seed texts)', async () => {
    const agent = await account('phone@example.com');
    const before = await userByEmail(world, 'phone@example.com');
    const form = await agent.get('/manage/add-phone-number');
    expect(form.text).toContain('<label for="field-phoneNumber" class="form-label">Phone Number</label>');

    const sent = await postForm(agent, '/manage/add-phone-number', { phoneNumber: PHONE });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe('/manage/verify-phone-number?phoneNumber=%2B41791234567');
    const sms = await world.knex('outbox').where({ recipient: PHONE_E164 }).orderBy('id', 'desc').first();
    expect(sms.body).toMatch(/^Your security code is: \d{6}$/);
    expect(sms.purpose).toBe('PhoneNumberVerification');
    // Not stored until verified.
    expect((await userByEmail(world, 'phone@example.com')).phoneNumber).toBeNull();

    const page = await agent.get(sent.headers.location);
    expect(page.text).toContain('For DEMO purposes only, the current code is');
    const code = demoCodeFrom(page.text);
    expect(sms.body).toBe(`Your security code is: ${code}`);
    const ok = await postForm(agent, '/manage/verify-phone-number', { phoneNumber: PHONE_E164, code }, sent.headers.location);
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/manage?message=AddPhoneSuccess');

    const after = await userByEmail(world, 'phone@example.com');
    expect(after.phoneNumber).toBe(PHONE_E164);
    expect(after.phoneNumberConfirmed).toBe(true);
    expect(after.securityStamp).not.toBe(before.securityStamp);
    const manage = await agent.get(ok.headers.location);
    expect(manage.status).toBe(200);
    expect(manage.text).toContain('The phone number was added.');
    expect(manage.text).toContain('data-phone-number="+41 79 123 45 67"');
    expect(await auditCount(world, 'PhoneNumberAdded', after.id)).toBe(1);
  });

  it('refuses a wrong code with "Failed to verify phone" and saves nothing', async () => {
    const agent = await account('wrong@example.com');
    const sent = await postForm(agent, '/manage/add-phone-number', { phoneNumber: PHONE });
    const code = demoCodeFrom((await agent.get(sent.headers.location)).text);
    const wrong = code === '123456' ? '654321' : '123456';
    const res = await postForm(agent, '/manage/verify-phone-number', { phoneNumber: PHONE_E164, code: wrong }, sent.headers.location);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Failed to verify phone');
    const user = await userByEmail(world, 'wrong@example.com');
    expect(user.phoneNumber).toBeNull();
    expect(await auditCount(world, 'PhoneNumberVerificationFailed', user.id)).toBe(1);
  });

  it('binds the code to the number: a code for one number cannot confirm another', async () => {
    const agent = await account('swap@example.com');
    const sent = await postForm(agent, '/manage/add-phone-number', { phoneNumber: PHONE });
    const code = demoCodeFrom((await agent.get(sent.headers.location)).text);
    const other = '+12025550123';
    const res = await postForm(agent, '/manage/verify-phone-number', { phoneNumber: other, code }, sent.headers.location);
    expect(res.text).toContain('Failed to verify phone');
    expect((await userByEmail(world, 'swap@example.com')).phoneNumber).toBeNull();
  });

  it('lets one code take five guesses, then it is dead even if right', async () => {
    const agent = await account('guess@example.com');
    const sent = await postForm(agent, '/manage/add-phone-number', { phoneNumber: PHONE });
    const code = demoCodeFrom((await agent.get(sent.headers.location)).text);
    const wrong = code === '123456' ? '654321' : '123456';
    for (let i = 0; i < 5; i++) {
      await postForm(agent, '/manage/verify-phone-number', { phoneNumber: PHONE_E164, code: wrong }, sent.headers.location);
    }
    const res = await postForm(agent, '/manage/verify-phone-number', { phoneNumber: PHONE_E164, code }, sent.headers.location);
    expect(res.text).toContain('Failed to verify phone');
    expect((await userByEmail(world, 'guess@example.com')).phoneNumber).toBeNull();
  });

  it('expires the code after the configured six minutes', async () => {
    const agent = await account('slow@example.com');
    const sent = await postForm(agent, '/manage/add-phone-number', { phoneNumber: PHONE });
    const code = demoCodeFrom((await agent.get(sent.headers.location)).text);
    clock.advance(6 * 60_000 + 1_000);
    const res = await postForm(agent, '/manage/verify-phone-number', { phoneNumber: PHONE_E164, code }, sent.headers.location);
    expect(res.text).toContain('Failed to verify phone');
    expect((await userByEmail(world, 'slow@example.com')).phoneNumber).toBeNull();
  });

  it("ends the user's other sessions when the number changes, and keeps this one", async () => {
    await registerConfirmed(world, 'two@example.com');
    const here = await signedInAgent(world, 'two@example.com');
    const elsewhere = await signedInAgent(world, 'two@example.com');
    const sent = await postForm(here, '/manage/add-phone-number', { phoneNumber: PHONE });
    const code = demoCodeFrom((await here.get(sent.headers.location)).text);
    await postForm(here, '/manage/verify-phone-number', { phoneNumber: PHONE_E164, code }, sent.headers.location);
    expect((await here.get('/manage')).status).toBe(200);
    expect((await elsewhere.get('/manage')).status).toBe(302);
  });
});

describe('removing a phone number', () => {
  it('removes it by POST with "Your phone number was removed."', async () => {
    const agent = await account('remove@example.com');
    const sent = await postForm(agent, '/manage/add-phone-number', { phoneNumber: PHONE });
    const code = demoCodeFrom((await agent.get(sent.headers.location)).text);
    await postForm(agent, '/manage/verify-phone-number', { phoneNumber: PHONE_E164, code }, sent.headers.location);

    expect((await agent.get('/manage/remove-phone-number')).status).toBe(404);
    const res = await postForm(agent, '/manage/remove-phone-number', {}, '/manage');
    expect(res.headers.location).toBe('/manage?message=RemovePhoneSuccess');
    const manage = await agent.get(res.headers.location);
    expect(manage.text).toContain('Your phone number was removed.');
    const user = await userByEmail(world, 'remove@example.com');
    expect(user.phoneNumber).toBeNull();
    expect(user.phoneNumberConfirmed).toBe(false);
    expect(await auditCount(world, 'PhoneNumberRemoved', user.id)).toBe(1);
  });
});

describe('phone number input', () => {
  let agent: Agent;
  beforeAll(async () => {
    agent = await account('input@example.com');
  });

  const bad: Array<[string, string]> = [
    ['letters', '+1-800-FLOWERS'],
    ['100 digits', `+${'1'.repeat(100)}`],
    ['emoji', '+41 79 123 45 67 📱'],
    ['no country code', '079 123 45 67'],
    ['an unassigned country code', '+999 123 456'],
    ['too few digits', '+1 (555) 0100'],
    ['script', '<script>alert(1)</script>'],
  ];
  it.each(bad)('refuses %s with a field error and sends nothing', async (_name, phoneNumber) => {
    const before = await smsCount();
    const res = await postForm(agent, '/manage/add-phone-number', { phoneNumber });
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="field-phoneNumber-error"');
    expect(res.text).toContain('The Phone Number field is not a valid phone number.');
    expect(res.text).not.toContain('<script>alert');
    expect(await smsCount()).toBe(before);
  });

  it('refuses a null byte at the input boundary (issue 14.8): 400, the error beside the field, nothing sent', async () => {
    const before = await smsCount();
    const res = await postForm(agent, '/manage/add-phone-number', { phoneNumber: '+41 79 123\u0000 45 67' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('id="field-phoneNumber-error"');
    expect(res.text).toContain('a character that is not allowed');
    expect(await smsCount()).toBe(before);
  });

  it('refuses a premium-rate number', async () => {
    const res = await postForm(agent, '/manage/add-phone-number', { phoneNumber: '+1 900 555 1234' });
    expect(res.text).toContain('This number cannot receive text messages.');
  });

  it('asks for the number when it is missing or sent as an array', async () => {
    const before = await smsCount();
    const _csrf = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/manage/add-phone-number')).text)![1];
    const res = await agent
      .post('/manage/add-phone-number')
      .type('form')
      .send(`_csrf=${_csrf}&phoneNumber=%2B41791234567&phoneNumber=%2B12025550123`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('The Phone Number field is required.');
    expect(await smsCount()).toBe(before);
  });

  it('refuses a code sent as an array without changing anything', async () => {
    const _csrf = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/manage/add-phone-number')).text)![1];
    const res = await agent
      .post('/manage/verify-phone-number')
      .type('form')
      .send(`_csrf=${_csrf}&phoneNumber=%2B41791234567&code=123456&code=654321`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('The Code field is required.');
    expect((await userByEmail(world, 'input@example.com')).phoneNumber).toBeNull();
  });

  it('turns a verify page with a bad number in the address back to Add Phone Number', async () => {
    const res = await agent.get('/manage/verify-phone-number?phoneNumber=abc');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/manage/add-phone-number');
  });
});
