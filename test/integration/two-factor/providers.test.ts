import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAspsms, type FakeAspsms } from '../../fakes/fake-aspsms.js';
import { startFakeSendGrid, type FakeSendGrid } from '../../fakes/fake-sendgrid.js';
import { startFakeTwilio, type FakeTwilio } from '../../fakes/fake-twilio.js';
import { PASSWORD, postForm, setup, signedInAgent, type World } from '../../helpers/setup.js';
import { enableTwoFactor, passwordStep, PHONE, PHONE_E164, relaxedSendLimits, sendCode, verifyCode } from '../../helpers/two-factor.js';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const codeIn = (text: string) => /Your security code is: (\d{6})$/.exec(text)?.[1];

async function confirmedUser(world: World, email: string) {
  const result = await world.services.users.createUser({ email, password: PASSWORD, emailConfirmed: true });
  if (!result.succeeded) throw new Error(result.errors.join(' '));
  return signedInAgent(world, email);
}

describe('Twilio (real SDK against a fake Twilio) and SendGrid', () => {
  let twilio: FakeTwilio;
  let sendgrid: FakeSendGrid;
  let world: World;
  beforeAll(async () => {
    twilio = await startFakeTwilio();
    sendgrid = await startFakeSendGrid();
    world = await setup({
      env: {
        ...relaxedSendLimits,
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: 'twilio-test-token',
        TWILIO_FROM_NUMBER: '+15005550006',
        TWILIO_BASE_URL: twilio.baseUrl,
        SENDGRID_API_KEY: 'SG.test-key',
        SENDGRID_BASE_URL: sendgrid.baseUrl,
        MESSAGING_TIMEOUT_MS: '500',
      },
    });
  });
  afterAll(async () => {
    await world.close();
    await twilio.close();
    await sendgrid.close();
  });

  it('is not demo mode: no code on the page', () => {
    expect(world.services.config.demoMode).toBe(false);
  });

  it('texts the phone-verification code through Twilio with the account credentials', async () => {
    const agent = await confirmedUser(world, 'ada@example.com');
    const sent = await postForm(agent, '/manage/add-phone-number', { phoneNumber: PHONE });
    expect(sent.status).toBe(303);
    expect(twilio.requests).toHaveLength(1);
    const [request] = twilio.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:twilio-test-token`).toString('base64')}`);
    expect(request.body.To).toBe(PHONE_E164);
    expect(request.body.From).toBe('+15005550006');
    const code = codeIn(request.body.Body)!;
    expect(request.body.Body).toBe(`Your security code is: ${code}`);

    const page = await agent.get(sent.headers.location);
    expect(page.text).not.toContain('data-demo-code');
    const row = await world.knex('outbox').where({ recipient: PHONE_E164 }).orderBy('id', 'desc').first();
    expect(row).toMatchObject({ provider: 'twilio', status: 'sent', secret: null, body: 'Your security code is: [redacted]' });

    const ok = await postForm(agent, '/manage/verify-phone-number', { phoneNumber: PHONE_E164, code }, sent.headers.location);
    expect(ok.headers.location).toBe('/manage?message=AddPhoneSuccess');
    await enableTwoFactor(agent);
  });

  it('signs in with a code texted through Twilio, and with one emailed through SendGrid', async () => {
    for (const provider of ['Phone Code', 'Email Code']) {
      const { agent } = await passwordStep(world, 'ada@example.com');
      expect((await sendCode(agent, provider)).status).toBe(303);
      const code =
        provider === 'Phone Code'
          ? codeIn(twilio.requests.at(-1)!.body.Body)!
          : codeIn((sendgrid.requests.at(-1)!.body as { content: Array<{ value: string }> }).content[0].value)!;
      if (provider === 'Email Code') {
        const mail = sendgrid.requests.at(-1)!.body as { subject: string; personalizations: Array<{ to: Array<{ email: string }> }> };
        expect(mail.subject).toBe('Security Code');
        expect(mail.personalizations[0].to[0].email).toBe('ada@example.com');
      }
      expect((await verifyCode(agent, { provider, code })).status).toBe(303);
    }
  });

  it('tells the user plainly when Twilio answers 500, keeps the row for retry, and lets them ask again', async () => {
    const agent = await confirmedUser(world, 'bob@example.com');
    twilio.respondWith(500);
    const res = await postForm(agent, '/manage/add-phone-number', { phoneNumber: '+12025550123' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('We could not send the code. Please try again.');
    expect(res.text).toContain('value="+12025550123"');
    const failed = await world.knex('outbox').where({ recipient: '+12025550123' }).orderBy('id', 'desc').first();
    expect(failed).toMatchObject({ provider: 'twilio', status: 'pending', attempts: 1 });
    expect(failed.error).toMatch(/Twilio answered HTTP 500/);
    expect(
      Number(
        await world
          .knex('audit_events')
          .where({ event_type: 'SecurityCodeNotDelivered' })
          .count('* as n')
          .then(([r]) => r.n),
      ),
    ).toBe(1);

    const again = await postForm(agent, '/manage/add-phone-number', { phoneNumber: '+12025550123' });
    expect(again.status).toBe(303);
    // The failed row's code was replaced: retrying it would only deliver a dead code.
    const old = await world.knex('outbox').where({ id: failed.id }).first();
    expect(old).toMatchObject({ status: 'failed', error: 'superseded by a newer message', secret: null });
  });

  it('answers within the timeout when Twilio hangs: never a hung page', async () => {
    const { agent } = await passwordStep(world, 'ada@example.com');
    twilio.hang();
    const started = Date.now();
    const res = await sendCode(agent, 'Phone Code');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(200);
    expect(res.text).toContain('We could not send the code. Please try again.');
    expect(res.text).toContain('name="selectedProvider" value="Phone Code"');
  });
});

describe('ASPSMS', () => {
  let aspsms: FakeAspsms;
  let world: World;
  beforeAll(async () => {
    aspsms = await startFakeAspsms();
    world = await setup({
      env: {
        ...relaxedSendLimits,
        ASPSMS_USER_KEY: 'aspsms-user',
        ASPSMS_PASSWORD: 'aspsms-password',
        ASPSMS_ORIGINATOR: 'Gatehouse',
        ASPSMS_BASE_URL: aspsms.baseUrl,
      },
    });
  });
  afterAll(async () => {
    await world.close();
    await aspsms.close();
  });

  it('texts the code through ASPSMS with the user key, password and originator', async () => {
    const agent = await confirmedUser(world, 'ada@example.com');
    const sent = await postForm(agent, '/manage/add-phone-number', { phoneNumber: PHONE });
    expect(sent.status).toBe(303);
    const body = aspsms.requests[0].body as Record<string, unknown>;
    expect(aspsms.requests[0].path).toBe('/SendSimpleTextSMS');
    expect(body).toMatchObject({ UserName: 'aspsms-user', Password: 'aspsms-password', Originator: 'Gatehouse', Recipients: [PHONE_E164] });
    const code = codeIn(String(body.MessageText))!;
    const ok = await postForm(agent, '/manage/verify-phone-number', { phoneNumber: PHONE_E164, code }, sent.headers.location);
    expect(ok.headers.location).toBe('/manage?message=AddPhoneSuccess');
  });

  it('shows the clear message when ASPSMS refuses (its own status code)', async () => {
    const agent = await confirmedUser(world, 'bob@example.com');
    aspsms.respondWith(200, { StatusCode: '3', StatusInfo: 'Authorization failed' });
    const res = await postForm(agent, '/manage/add-phone-number', { phoneNumber: PHONE });
    expect(res.text).toContain('We could not send the code. Please try again.');
    const row = await world
      .knex('outbox')
      .where({ user_id: (await world.services.users.findByEmail('bob@example.com'))!.id })
      .orderBy('id', 'desc')
      .first();
    expect(row).toMatchObject({ provider: 'aspsms', status: 'failed' });
    expect(row.error).toMatch(/Authorization failed/);
  });
});
