import { afterEach, describe, expect, it } from 'vitest';
import { createTwilioSmsSender } from '../../../src/messaging/twilio-sms-sender.js';
import { DeliveryError, type SmsMessage } from '../../../src/messaging/types.js';
import { startFakeTwilio, type FakeTwilio } from '../../fakes/fake-twilio.js';

const accountSid = `AC${'0123456789abcdef'.repeat(2)}`;
const message: SmsMessage = { to: '+41791234567', body: 'Your code is 123456' };

let fake: FakeTwilio | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup() {
  fake = await startFakeTwilio();
  const sender = createTwilioSmsSender({
    accountSid,
    authToken: 'test-token',
    from: '+15005550006',
    baseUrl: fake.baseUrl,
    timeoutMs: 300,
  });
  return { fake, sender };
}

async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe('Twilio SMS sender', () => {
  it('creates the message with basic auth and the To/From/Body form fields', async () => {
    const { fake, sender } = await setup();

    await sender.send(message);

    expect(sender.name).toBe('twilio');
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`);
    const credentials = Buffer.from(`${accountSid}:test-token`).toString('base64');
    expect(request.headers.authorization).toBe(`Basic ${credentials}`);
    expect(request.body).toEqual({
      To: '+41791234567',
      From: '+15005550006',
      Body: 'Your code is 123456',
    });
  });

  it('reports a 500 as a retryable failure', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(500);

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: true, status: 500 });
  });

  it('reports a 429 as a retryable failure', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(429);

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: true, status: 429 });
  });

  it('reports a 400 as a permanent failure', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(400);

    const error = await failureOf(sender.send(message));

    expect(error).toMatchObject({ retryable: false, status: 400 });
    expect(error.message).toContain('21211');
  });

  it('gives up on a silent server with a retryable failure', async () => {
    const { fake, sender } = await setup();
    fake.hang();

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: true });
  });
});
