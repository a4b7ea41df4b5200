import knex, { type Knex } from 'knex';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/messaging/outbox.js';
import { createSendGridEmailSender } from '../../src/messaging/sendgrid-email-sender.js';
import { startFakeSendGrid, type FakeSendGrid, type RecordedSendGridRequest } from '../fakes/fake-sendgrid.js';
import { confirmByButton, createTestClock, localPath, PASSWORD, postForm, setup, type World } from '../helpers/setup.js';

// SendGrid configured, pointing at a loopback fake that can fail or hang; a clock the tests move,
// so retries come due without waiting for them.
const TIMEOUT_MS = 500;
const clock = createTestClock();
let fake: FakeSendGrid;
let world: World;

beforeAll(async () => {
  fake = await startFakeSendGrid();
  world = await setup({
    env: { SENDGRID_API_KEY: 'SG.faults', SENDGRID_BASE_URL: fake.baseUrl, MESSAGING_TIMEOUT_MS: String(TIMEOUT_MS) },
    overrides: { clock },
  });
});
afterAll(async () => {
  await world?.close();
  await fake?.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

const outboxRow = (recipient: string) => world.knex('outbox').where({ recipient }).orderBy('id', 'desc').first();
const recipientOf = (request: RecordedSendGridRequest) =>
  (request.body as { personalizations: { to: { email: string }[] }[] }).personalizations[0].to[0].email;
const textOf = (request: RecordedSendGridRequest) => (request.body as { content: { type: string; value: string }[] }).content[0].value;

/** Registers through the page; the response comes back before the mail is attempted. */
async function register(email: string) {
  const started = Date.now();
  const res = await postForm(world.agent(), '/account/register', { email, password: PASSWORD, confirmPassword: PASSWORD });
  const ms = Date.now() - started;
  // Read the row before the background delivery can finish: what the outbox held at response time.
  const atResponse = await outboxRow(email);
  return { res, ms, atResponse };
}

/** Another app instance's outbox on the same database (on PGlite, the one embedded database). */
function secondInstance(db: Knex) {
  return new Outbox({
    knex: db,
    emailSender: createSendGridEmailSender({
      apiKey: 'SG.faults',
      from: 'Gatehouse <no-reply@gatehouse.test>',
      baseUrl: fake.baseUrl,
      timeoutMs: TIMEOUT_MS,
    }),
    logger: pino({ level: 'silent' }),
    clock,
    timeoutMs: TIMEOUT_MS,
  });
}

async function deliverAll(outbox: Outbox) {
  while ((await outbox.deliverDue()) > 0);
}

async function until(condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('when the email provider fails', () => {
  it('a 500 delays the mail: the row stays pending with the error, and goes out once the provider recovers, its link redacted', async () => {
    fake.respondWith(500);
    const { res } = await register('provider500@example.com');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Please check your email and confirm your email address.');
    await world.services.outbox.drain();

    const failed = await outboxRow('provider500@example.com');
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, error: 'SendGrid answered HTTP 500' });
    expect(new Date(failed.next_attempt_at).getTime()).toBe(clock().getTime() + 2_000);
    expect(failed.body).toContain(failed.secret);
    expect(fake.requests).toHaveLength(1);

    // Not due yet: nothing is sent early.
    expect(await world.services.outbox.deliverDue()).toBe(0);
    clock.advance(2_000);
    expect(await world.services.outbox.deliverDue()).toBe(1);

    const sent = await outboxRow('provider500@example.com');
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, error: null, secret: null });
    expect(sent.body).toContain('[redacted]');
    expect(sent.body).not.toContain(failed.secret);
    expect(fake.requests).toHaveLength(2);
    // The mail that finally went out carries a link that works.
    const link = /http:\/\/gatehouse\.test\/account\/confirm-email\S+/.exec(textOf(fake.requests[1]))![0];
    expect((await confirmByButton(world.agent(), localPath(link))).text).toContain('Thank you for confirming your email.');
  });

  it('a hanging provider never holds the request, and each attempt gives up after MESSAGING_TIMEOUT_MS', async () => {
    fake.hang();
    const { res, atResponse } = await register('hang@example.com');
    expect(res.status).toBe(200);
    // The page was answered before the attempt could fail: the row had no error yet.
    expect(['pending', 'sending']).toContain(atResponse.status);
    expect(atResponse.error).toBeNull();

    const waited = Date.now();
    await world.services.outbox.drain();
    expect(Date.now() - waited).toBeLessThan(TIMEOUT_MS + 1_000);
    const row = await outboxRow('hang@example.com');
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.error).toMatch(/SendGrid unreachable: timeout/);

    clock.advance(2_000);
    expect(await world.services.outbox.deliverDue()).toBe(1);
    expect(await outboxRow('hang@example.com')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a 400 is a refusal: the row fails at once and is never sent again', async () => {
    fake.respondWith(400);
    const { res } = await register('refused@example.com');
    expect(res.status).toBe(200);
    await world.services.outbox.drain();
    expect(await outboxRow('refused@example.com')).toMatchObject({ status: 'failed', attempts: 1, error: 'SendGrid answered HTTP 400' });

    clock.advance(60 * 60_000);
    expect(await world.services.outbox.deliverDue()).toBe(0);
    expect(fake.requests).toHaveLength(1);
  });

  it('backs off 2, 4, 8, 16 s and gives up after five failed attempts', async () => {
    for (let i = 0; i < 5; i++) fake.respondWith(503);
    await register('always-down@example.com');
    await world.services.outbox.drain();
    for (const delay of [2_000, 4_000, 8_000, 16_000]) {
      const row = await outboxRow('always-down@example.com');
      expect(row.status).toBe('pending');
      expect(new Date(row.next_attempt_at).getTime() - clock().getTime()).toBe(delay);
      clock.advance(delay);
      expect(await world.services.outbox.deliverDue()).toBe(1);
    }
    expect(await outboxRow('always-down@example.com')).toMatchObject({
      status: 'failed',
      attempts: 5,
      error: 'SendGrid answered HTTP 503',
    });
    expect(fake.requests).toHaveLength(5);
  });
});

describe('two app instances delivering the same outbox', () => {
  let otherKnex: Knex;
  beforeAll(() => {
    // On Postgres the second instance has its own pool, as a second process would.
    otherKnex =
      world.services.db.kind === 'postgres'
        ? knex({ client: 'pg', connection: world.knex.client.config.connection, pool: { min: 0, max: 4 } })
        : world.knex;
  });
  afterAll(async () => {
    if (otherKnex !== world.knex) await otherKnex.destroy();
  });

  async function enqueue(prefix: string, n: number): Promise<string[]> {
    const recipients = Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
    for (const recipient of recipients) {
      await world.services.outbox.enqueue(world.knex, { channel: 'email', recipient, subject: 'Twice?', body: `for ${recipient}` });
    }
    return recipients;
  }

  it('never send one message twice when both deliver the due rows at once', async () => {
    const recipients = await enqueue('pair', 25);
    const a = world.services.outbox;
    const b = secondInstance(otherKnex);
    await Promise.all([deliverAll(a), deliverAll(b), deliverAll(b)]);

    expect(fake.requests.map(recipientOf).sort()).toEqual([...recipients].sort());
    const rows = await world.knex('outbox').whereIn('recipient', recipients);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
  });

  it("never send one message twice when a slow provider outlasts the first instance's claim on its batch", async () => {
    const recipients = await enqueue('slow', 4);
    const a = world.services.outbox;
    const b = secondInstance(otherKnex);
    for (let i = 0; i < 3; i++) fake.hang();

    // A claims all four, then waits out three silent sends: in real time 3 x 500 ms, the
    // whole lease it took on the batch. The clock follows each timeout.
    const first = a.deliverDue();
    for (let k = 1; k <= 3; k++) {
      await until(() => fake.requests.length >= k);
      clock.advance(TIMEOUT_MS);
    }
    clock.advance(1);
    // B polls while A still waits on its third send.
    await deliverAll(b);
    await first;
    // Later, the retries come due and either instance delivers them.
    clock.advance(60_000);
    await Promise.all([deliverAll(a), deliverAll(b)]);

    const accepted = fake.requests.slice(3).map(recipientOf);
    expect(accepted.sort()).toEqual([...recipients].sort());
    expect((await world.knex('outbox').whereIn('recipient', recipients)).every((r) => r.status === 'sent')).toBe(true);
  });
});
