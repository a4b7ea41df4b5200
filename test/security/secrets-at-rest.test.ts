/**
 * Issue 14, item 7: secrets at rest in the outbox, and database errors in the log.
 *
 * The outbox holds the codes and links it sends. A row keeps its secret only while the secret
 * can still be used: until its code or link expires (demo mode shows it on the page until then),
 * until a provider delivered it, or until the row gives up. Delivered and failed rows are pruned
 * after OUTBOX_RETENTION_DAYS. A failing insert that carries a secret must not write that secret
 * to the log (knex inlines bindings in its messages, Postgres puts the row in `detail`, PGlite
 * attaches `params`).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeError } from '../../src/error-log-serializer.js';
import { housekeepingTasks, startHousekeeping } from '../../src/housekeeping.js';
import { Outbox } from '../../src/messaging/outbox.js';
import { createSendGridEmailSender } from '../../src/messaging/sendgrid-email-sender.js';
import { startFakeSendGrid, type FakeSendGrid } from '../fakes/fake-sendgrid.js';
import { createTestClock, demoLinkFrom, postForm, setup, type World } from '../helpers/setup.js';
import { demoCodeFrom, passwordStep, relaxedSendLimits, sendCode } from '../helpers/two-factor.js';
import { account, PASSWORD } from './helpers.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const logLines: string[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

const clock = createTestClock(Date.UTC(2026, 10, 28, 12));
let world: World;
let sendgrid: FakeSendGrid;

beforeAll(async () => {
  sendgrid = await startFakeSendGrid();
  // Demo mode: no provider configured, every message is recorded in the outbox and shown.
  world = await setup({ env: { ...relaxedSendLimits }, overrides: { clock, logger: pino({ level: 'trace' }, logStream) } });
});
afterAll(async () => {
  await world?.close();
  await sendgrid?.close();
});

async function runHousekeeping() {
  const housekeeping = startHousekeeping(housekeepingTasks(world.services, world.sessionStore), pino({ level: 'silent' }));
  try {
    return await housekeeping.run();
  } finally {
    housekeeping.stop();
  }
}

const rowFor = (recipient: string, purpose: string) => world.knex('outbox').where({ recipient, purpose }).orderBy('id', 'desc').first();

/** Every column a secret could sit in, as one string. */
const stored = (row: Record<string, unknown>) => JSON.stringify(row);

describe('item 7: a secret leaves the outbox when it can no longer be used', () => {
  it('a demo-mode code, reset link and confirmation link are readable until each expires, and redacted by housekeeping after', async () => {
    // A two-factor code (6 minutes), a reset link (60 minutes), a confirmation link (24 hours).
    const twoFactorEmail = 'demo-code@example.com';
    await account(world, twoFactorEmail, { twoFactor: true });
    const { agent } = await passwordStep(world, twoFactorEmail);
    const sent = await sendCode(agent, 'Email Code');
    expect(sent.status).toBe(303);
    const code = demoCodeFrom((await agent.get(sent.headers.location)).text);

    const resetEmail = 'demo-reset@example.com';
    await account(world, resetEmail);
    const resetLink = demoLinkFrom((await postForm(world.agent(), '/account/forgot-password', { email: resetEmail })).text);
    const resetCode = new URL(resetLink).searchParams.get('code')!;

    const newEmail = 'demo-confirm@example.com';
    const registered = await postForm(world.agent(), '/account/register', {
      email: newEmail,
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    const confirmCode = new URL(demoLinkFrom(registered.text)).searchParams.get('code')!;

    const codeRow = () => rowFor(twoFactorEmail, 'TwoFactor');
    const resetRow = () => rowFor(resetEmail, 'ResetPassword');
    const confirmRow = () => rowFor(newEmail, 'EmailConfirmation');

    // Before expiry: demo mode reads them back from the outbox, so they are still there.
    expect(await codeRow()).toMatchObject({ status: 'recorded', secret: code });
    expect((await codeRow()).body).toContain(code);
    expect((await resetRow()).body).toContain(resetCode);
    expect((await confirmRow()).body).toContain(confirmCode);
    await runHousekeeping();
    expect((await codeRow()).secret).toBe(code);

    clock.advance(6 * MINUTE + 1_000);
    await runHousekeeping();
    const redactedCode = await codeRow();
    expect(redactedCode.secret).toBeNull();
    expect(stored(redactedCode)).not.toContain(code);
    expect(redactedCode.body).toContain('[redacted: expired]');
    expect((await resetRow()).body).toContain(resetCode);

    clock.advance(54 * MINUTE);
    await runHousekeeping();
    const redactedReset = await resetRow();
    expect(redactedReset.secret).toBeNull();
    expect(stored(redactedReset)).not.toContain(resetCode);
    expect(redactedReset.body).toContain('[redacted: expired]');
    expect((await confirmRow()).body).toContain(confirmCode);

    clock.advance(DAY);
    await runHousekeeping();
    const redactedConfirm = await confirmRow();
    expect(redactedConfirm.secret).toBeNull();
    expect(stored(redactedConfirm)).not.toContain(confirmCode);
  });

  it('a row that gives up is redacted at once; a row still being retried keeps its secret', async () => {
    const outbox = new Outbox({
      knex: world.knex,
      emailSender: createSendGridEmailSender({
        apiKey: 'SG.secrets',
        from: 'Gatehouse <no-reply@gatehouse.test>',
        baseUrl: sendgrid.baseUrl,
        timeoutMs: 2_000,
      }),
      logger: pino({ level: 'silent' }),
      clock,
      timeoutMs: 2_000,
    });
    const secret = 'aVeryLongResetSecret0123456789abcdefghij';
    const message = (recipient: string) => ({
      channel: 'email' as const,
      recipient,
      subject: `Reset ${secret}`,
      body: `Please reset your password by clicking here: http://gatehouse.test/account/reset-password?code=${secret}`,
      secret,
      secretTtlMs: 60 * MINUTE,
      purpose: 'ResetPassword',
    });

    // Refused (400): failed for good on the first attempt.
    sendgrid.respondWith(400);
    const refused = await outbox.enqueue(world.knex, message('refused-secret@example.com'));
    await outbox.deliverDue();
    const refusedRow = await world.knex('outbox').where({ id: refused }).first();
    expect(refusedRow.status).toBe('failed');
    expect(refusedRow.secret).toBeNull();
    expect(stored(refusedRow)).not.toContain(secret);
    expect(refusedRow.body).toContain('[redacted: gave up]');

    // Down (503): kept for the retry while attempts remain, redacted when the last one fails.
    for (let i = 0; i < 5; i++) sendgrid.respondWith(503);
    const down = await outbox.enqueue(world.knex, message('down-secret@example.com'));
    await outbox.deliverDue();
    expect(await world.knex('outbox').where({ id: down }).first()).toMatchObject({ status: 'pending', secret });
    for (let attempt = 2; attempt <= 5; attempt++) {
      clock.advance(5 * MINUTE);
      await outbox.deliverDue();
    }
    const downRow = await world.knex('outbox').where({ id: down }).first();
    expect(downRow).toMatchObject({ status: 'failed', attempts: 5, secret: null });
    expect(stored(downRow)).not.toContain(secret);

    // Still waiting for a retry when its link expires: never sent, and redacted.
    sendgrid.respondWith(503);
    const late = await outbox.enqueue(world.knex, message('late-secret@example.com'));
    await outbox.deliverDue();
    clock.advance(61 * MINUTE);
    await runHousekeeping();
    const lateRow = await world.knex('outbox').where({ id: late }).first();
    expect(lateRow).toMatchObject({ status: 'failed', attempts: 1, error: 'expired before it could be delivered', secret: null });
    expect(stored(lateRow)).not.toContain(secret);
    expect(await outbox.deliverDue()).toBe(0);
  });

  it('housekeeping prunes delivered and failed rows older than OUTBOX_RETENTION_DAYS (30) and keeps pending ones', async () => {
    const now = clock().getTime();
    const old = new Date(now - 31 * DAY);
    const recent = new Date(now - 29 * DAY);
    const row = (status: string, created_at: Date) => ({
      channel: 'email',
      recipient: `retention-${status}-${created_at.getTime() === old.getTime() ? 'old' : 'recent'}@example.com`,
      body: 'notice',
      provider: status === 'recorded' ? 'outbox' : 'sendgrid',
      status,
      created_at,
      next_attempt_at: created_at,
    });
    await world.knex('outbox').insert(['sent', 'recorded', 'failed', 'pending', 'sending'].flatMap((s) => [row(s, old), row(s, recent)]));
    await runHousekeeping();
    const left = (await world.knex('outbox').where('recipient', 'like', 'retention-%').pluck('recipient')).sort();
    expect(left).toEqual([
      'retention-failed-recent@example.com',
      'retention-pending-old@example.com',
      'retention-pending-recent@example.com',
      'retention-recorded-recent@example.com',
      'retention-sending-old@example.com',
      'retention-sending-recent@example.com',
      'retention-sent-recent@example.com',
    ]);
  });
});

describe('item 7: database errors never write values to the log', () => {
  it('an outbox insert that fails with a reset link or a code in it logs neither the message nor its secret', async () => {
    const email = 'failing-insert@example.com';
    await account(world, email, { twoFactor: true });
    // A real constraint violation on the row that carries the secret.
    await world.knex.raw(
      `ALTER TABLE outbox ADD CONSTRAINT test_refuses_secrets CHECK (purpose NOT IN ('ResetPassword', 'TwoFactor')) NOT VALID`,
    );
    try {
      logLines.length = 0;
      const forgot = await postForm(world.agent(), '/account/forgot-password', { email });
      expect(forgot.status).toBe(500);
      const { agent } = await passwordStep(world, email);
      const code = await sendCode(agent, 'Email Code');
      expect(code.status).toBe(500);
    } finally {
      await world.knex.raw('ALTER TABLE outbox DROP CONSTRAINT test_refuses_secrets');
    }
    const errors = logLines.filter((line) => line.includes('test_refuses_secrets'));
    // Both failures were logged, and the log still names the constraint that failed.
    expect(errors.length).toBeGreaterThanOrEqual(2);
    const log = logLines.join('\n');
    expect(log).not.toContain('reset-password?');
    expect(log).not.toContain('Please reset your password');
    expect(log).not.toContain('Your security code is');
    expect(log).not.toContain(email);
    for (const line of errors) {
      const err = JSON.parse(line).err ?? {};
      for (const key of ['detail', 'params', 'parameters', 'bindings', 'query', 'where', 'internalQuery'])
        expect(err, key).not.toHaveProperty(key);
    }
  });

  it('a value the database quotes in its own message (a bad uuid, a duplicate key) is replaced, the code and names are kept', async () => {
    const secret = 'session-id-Xy7Qz9';
    const failure = async (sql: string, bindings: string[]) => {
      try {
        await world.knex.raw(sql, bindings);
      } catch (err) {
        return serializeError(err) as Record<string, unknown>;
      }
      throw new Error(`${sql} did not fail`);
    };
    const badUuid = await failure('select ?::uuid', [secret]);
    expect(badUuid.code).toBe('22P02');
    expect(JSON.stringify(badUuid)).not.toContain(secret);
    expect(badUuid.message).toContain('invalid input syntax for type uuid');
    const duplicate = await failure('insert into sessions (sid, data, expires) values (?, ?, now()), (?, ?, now())', [
      secret,
      '{}',
      secret,
      '{}',
    ]);
    expect(duplicate).toMatchObject({ code: '23505', constraint: 'sessions_pkey', table: 'sessions' });
    expect(JSON.stringify(duplicate)).not.toContain(secret);
  });
});
