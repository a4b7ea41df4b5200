import { afterEach, describe, expect, it } from 'vitest';
import { createSendGridEmailSender } from '../../../src/messaging/sendgrid-email-sender.js';
import { DeliveryError, type EmailMessage } from '../../../src/messaging/types.js';
import { startFakeSendGrid, type FakeSendGrid } from '../../fakes/fake-sendgrid.js';

const message: EmailMessage = {
  to: 'alice@example.com',
  subject: 'Your security code',
  text: 'Your code is 123456',
  html: '<p>Your code is <b>123456</b></p>',
};

let fake: FakeSendGrid | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(apiKey = 'SG.test-key') {
  fake = await startFakeSendGrid();
  const sender = createSendGridEmailSender({
    apiKey,
    from: 'Gatehouse <no-reply@gatehouse.test>',
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

describe('SendGrid email sender', () => {
  it('posts the mail with the API key as a Bearer token', async () => {
    const { fake, sender } = await setup();

    await sender.send(message);

    expect(sender.name).toBe('sendgrid');
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v3/mail/send');
    expect(request.headers.authorization).toBe('Bearer SG.test-key');
    expect(request.body).toMatchObject({
      personalizations: [{ to: [{ email: 'alice@example.com' }] }],
      from: { email: 'no-reply@gatehouse.test', name: 'Gatehouse' },
      subject: 'Your security code',
      content: [
        { type: 'text/plain', value: 'Your code is 123456' },
        { type: 'text/html', value: '<p>Your code is <b>123456</b></p>' },
      ],
    });
  });

  it('keeps each sender on its own key when two live in one process', async () => {
    const first = await setup('SG.first');
    const second = createSendGridEmailSender({
      apiKey: 'SG.second',
      from: 'no-reply@gatehouse.test',
      baseUrl: first.fake.baseUrl,
      timeoutMs: 300,
    });

    await first.sender.send(message);
    await second.send(message);

    expect(first.fake.requests.map((r) => r.headers.authorization)).toEqual(['Bearer SG.first', 'Bearer SG.second']);
  });

  it('reports a 500 as a retryable failure', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(500);

    const error = await failureOf(sender.send(message));

    expect(error).toMatchObject({ retryable: true, status: 500 });
  });

  it('reports a 429 as a retryable failure', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(429);

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: true, status: 429 });
  });

  it('reports a 400 as a permanent failure', async () => {
    const { fake, sender } = await setup();
    fake.respondWith(400, { errors: [{ message: 'Invalid email', field: 'personalizations.0.to' }] });

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: false, status: 400 });
  });

  it('gives up on a silent server with a retryable failure', async () => {
    const { fake, sender } = await setup();
    fake.hang();

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: true });
  });

  it('reports a refused connection as a retryable failure', async () => {
    const { fake, sender } = await setup();
    await fake.close();

    expect(await failureOf(sender.send(message))).toMatchObject({ retryable: true });
  });
});
