import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../identity/clock.js';
import type { Queryable } from '../identity/user-store.js';
import { DeliveryError, type EmailSender, type SmsSender } from './types.js';

export interface OutboxMessage {
  channel: 'email' | 'sms';
  recipient: string;
  subject?: string;
  body: string;
  /** The code or link in `body`, redacted from the stored body once delivered. */
  secret?: string;
  userId?: string | null;
  purpose?: string;
}

export interface OutboxOptions {
  knex: Knex;
  emailSender?: EmailSender;
  smsSender?: SmsSender;
  logger: Logger;
  clock: Clock;
  timeoutMs: number;
  maxAttempts?: number;
}

const BATCH = 10;

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'recorded' | 'failed';

/**
 * Every email and SMS is written here in the same transaction as the change that causes it,
 * and delivered after the response by `deliverDue`. A provider outage delays mail, never loses
 * it and never blocks a request. Rows are claimed with FOR UPDATE SKIP LOCKED, so several
 * instances never send one message twice. Without a provider the row is only recorded: that
 * is demo mode, where the page shows the code.
 */
export class Outbox {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutboxOptions) {}

  providerFor(channel: 'email' | 'sms'): string {
    const sender = channel === 'email' ? this.options.emailSender : this.options.smsSender;
    return sender?.name ?? 'outbox';
  }

  async enqueue(db: Queryable, message: OutboxMessage): Promise<number> {
    const provider = this.providerFor(message.channel);
    const [row] = await db('outbox')
      .insert({
        channel: message.channel,
        recipient: message.recipient,
        subject: message.subject ?? null,
        body: message.body,
        secret: message.secret ?? null,
        user_id: message.userId ?? null,
        purpose: message.purpose ?? null,
        provider,
        status: provider === 'outbox' ? 'recorded' : 'pending',
        next_attempt_at: this.options.clock(),
      })
      .returning('id');
    return Number(row.id);
  }

  /** Starts delivery in the background (call after the transaction commits). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverUntilIdle().finally(() => {
      this.running = undefined;
    });
  }

  /** Polls for retries that come due; the timer never keeps the process alive. */
  start(intervalMs = 5_000): void {
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
  }

  /** Stops polling and waits for the delivery under way, for a clean shutdown or a test. */
  async drain(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.running) await this.running;
  }

  private async deliverUntilIdle(): Promise<void> {
    do {
      this.again = false;
      try {
        while ((await this.deliverDue()) === BATCH);
      } catch (err) {
        this.options.logger.error({ err }, 'outbox delivery failed');
      }
    } while (this.again);
  }

  /** Claims and sends one batch of due messages; returns how many it claimed. */
  async deliverDue(): Promise<number> {
    const { knex, clock, timeoutMs } = this.options;
    const now = clock();
    // A row left 'sending' by a crashed instance becomes due again after a generous lease.
    const lease = new Date(now.getTime() + timeoutMs * 3);
    const claimed = await knex.transaction(async (trx) => {
      const rows = await trx('outbox')
        .whereIn('status', ['pending', 'sending'])
        .where('next_attempt_at', '<=', now)
        .orderBy('id')
        .limit(BATCH)
        .forUpdate()
        .skipLocked();
      if (rows.length === 0) return [];
      await trx('outbox')
        .whereIn('id', rows.map((r) => r.id))
        .update({ status: 'sending', attempts: trx.raw('attempts + 1'), next_attempt_at: lease });
      return rows;
    });
    for (const row of claimed) {
      if (await this.renewClaim(row)) await this.deliver(row);
    }
    return claimed.length;
  }

  /**
   * The batch's lease covers about three sends, and a slow provider can take longer over the
   * batch: another instance then claims the rows not yet sent. So each row's lease starts again
   * just before its send, if this instance still holds it; the attempt count is the claim (any
   * later claim increments it), so a row taken over is left to its new owner, not sent twice.
   */
  private async renewClaim(row: Record<string, any>): Promise<boolean> {
    const { knex, clock, timeoutMs } = this.options;
    const renewed = await knex('outbox')
      .where({ id: row.id, status: 'sending', attempts: Number(row.attempts) + 1 })
      .update({ next_attempt_at: new Date(clock().getTime() + timeoutMs * 3) })
      .returning('id');
    return renewed.length === 1;
  }

  private async deliver(row: Record<string, any>): Promise<void> {
    const { knex, clock, emailSender, smsSender, logger } = this.options;
    // Our claim's attempt count: the outcome is recorded only while the claim is still ours.
    const attempts = Number(row.attempts) + 1;
    try {
      if (row.channel === 'email') {
        if (!emailSender) throw new DeliveryError('no email provider configured', false);
        await emailSender.send({ to: row.recipient, subject: row.subject ?? '', text: row.body });
      } else {
        if (!smsSender) throw new DeliveryError('no SMS provider configured', false);
        await smsSender.send({ to: row.recipient, body: row.body });
      }
      const body = row.secret ? String(row.body).split(row.secret).join('[redacted]') : row.body;
      await knex('outbox')
        .where({ id: row.id, attempts })
        .update({ status: 'sent', sent_at: clock(), body, secret: null, error: null });
    } catch (err) {
      const retryable = !(err instanceof DeliveryError) || err.retryable;
      const giveUp = !retryable || attempts >= (this.options.maxAttempts ?? 5);
      // Exponential backoff: 2 s, 4 s, 8 s, ... capped at 5 minutes.
      const delay = Math.min(2 ** attempts * 1000, 300_000);
      logger.warn({ outboxId: row.id, provider: row.provider, attempts, err: String(err) }, 'delivery failed');
      await knex('outbox')
        .where({ id: row.id, attempts })
        .update({
          status: giveUp ? 'failed' : 'pending',
          error: String((err as Error).message ?? err).slice(0, 500),
          next_attempt_at: new Date(clock().getTime() + delay),
        });
    }
  }

  /**
   * Delivers one message at once, for a page that waits on it (a security code), so the user
   * learns right away when the provider failed and can ask again instead of waiting for a code
   * that is not coming. Bounded by the messaging timeout: never a hung page. A failed row stays
   * in the outbox with its error and is retried like any other.
   */
  async deliverNow(id: number): Promise<OutboxStatus> {
    const budgetMs = this.options.timeoutMs + 1_000;
    const started = Date.now();
    const attempt = async (): Promise<OutboxStatus> => {
      const row = await this.claim(id);
      if (row) await this.deliver(row);
      let status = await this.statusOf(id);
      // Another worker claimed it first: wait for its answer, within the same budget.
      while (status === 'sending' && Date.now() - started < budgetMs) {
        await new Promise((r) => setTimeout(r, 50));
        status = await this.statusOf(id);
      }
      return status;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<OutboxStatus>((resolve) => {
      timer = setTimeout(() => resolve('sending'), budgetMs);
    });
    try {
      return await Promise.race([attempt(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async claim(id: number): Promise<Record<string, any> | undefined> {
    const { knex, clock, timeoutMs } = this.options;
    const lease = new Date(clock().getTime() + timeoutMs * 3);
    return knex.transaction(async (trx) => {
      const row = await trx('outbox').where({ id, status: 'pending' }).forUpdate().skipLocked().first();
      if (!row) return undefined;
      await trx('outbox')
        .where({ id })
        .update({ status: 'sending', attempts: trx.raw('attempts + 1'), next_attempt_at: lease });
      return row;
    });
  }

  private async statusOf(id: number): Promise<OutboxStatus> {
    const row = await this.options.knex('outbox').where({ id }).first('status');
    return row?.status ?? 'failed';
  }

  /**
   * Stops retries of a user's undelivered messages for a purpose (an older code that a newer
   * one replaced): retrying would only deliver a code that no longer works.
   */
  async supersede(db: Queryable, userId: string, purpose: string): Promise<number> {
    return db('outbox')
      .where({ user_id: userId, purpose, status: 'pending' })
      .update({
        status: 'failed',
        error: 'superseded by a newer message',
        body: db.raw("CASE WHEN secret IS NULL THEN body ELSE replace(body, secret, '[redacted]') END"),
        secret: null,
      });
  }

  /** The newest message to a recipient (demo pages and tests read codes and links here). */
  async latest(db: Queryable, recipient: string, purpose?: string) {
    const query = db('outbox').where({ recipient }).orderBy('id', 'desc');
    if (purpose) query.where({ purpose });
    return query.first();
  }
}
