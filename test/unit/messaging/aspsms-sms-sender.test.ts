import { afterEach, describe, expect, it } from 'vitest';
import { createAspsmsSmsSender } from '../../../src/messaging/aspsms-sms-sender.js';
import { DeliveryError, type SmsMessage } from '../../../src/messaging/types.js';
import { startFakeAspsms, type FakeAspsms } from '../../fakes/fake-aspsms.js';

const message: SmsMessage = { to: '+41791234567', body: 'Your code is 123456' };

let fake: FakeAspsms | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup() {
  fake = await startFakeAspsms();
  const sender = createAspsmsSmsSender({
    userKey: 'USERKEY123',
    password: 'secret',
    originator: 'Gatehouse',
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

describe('ASPSMS SMS sender', () => {
  it('posts the credentials, originator, recipient and text as JSON', async () => {
    const { fake, sender } = await setup();

    await sender.send(message);

    expect(sender.name).toBe('aspsms');
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/SendSimpleTextSMS');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      UserName: 'USERKEY123',
      Password: 'secret',
      Originator: 'Gatehouse',
      Recipients: ['+41791234567'],
      MessageText: 'Your code is 123456',
    });
  });

  it('reports a 500 as a retryable failure', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(500);

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: true, status: 500 });
  });

  it('reports a 400 as a permanent failure', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(400);

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: false, status: 400 });
  });

  it('reports a refusal in the status code (bad credentials) as a permanent failure', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(200, { StatusCode: '3', StatusInfo: 'Authorization failed' });

    const error = await failureOf(sender.send(message));

    expect(error.retryable).toBe(false);
    expect(error.message).toContain('Authorization failed');
  });

  it('reports a passing fault in the status code (service unavailable) as retryable', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(200, { StatusCode: '24', StatusInfo: 'Service temporarily not available' });

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: true });
  });

  it('gives up on a silent server with a retryable failure', async () => {
    const { fake, sender } = await setup();
    fake.hang();

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: true });
  });
});
