import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/queryable.js';
import { OutboxStore, type OutboxRow, type OutboxStatus } from '../db/stores/outbox-store.js';
import { DeliveryError, type EmailSender, type SmsSender } from './types.js';

interface OutboxMessageBase {
  channel: 'email' | 'sms';
  recipient: string;
  subject?: string;
  body: string;
  userId?: string | null;
  purpose?: string;
}

/**
 * A message, and the code or link in it if it carries one. A secret always comes with its
 * lifetime (the code's or link's own), so the row can let go of it when it stops working.
 */
export type OutboxMessage = OutboxMessageBase &
  (
    | { secret?: undefined; secretTtlMs?: undefined }
    | {
        /** The code or link in `subject`/`body`; redacted from the row once it is of no more use. */
        secret: string;
        /** How long the secret works from now: the token's own lifetime. */
        secretTtlMs: number;
      }
  );

export interface OutboxOptions {
  knex: Queryable;
  emailSender?: EmailSender;
  smsSender?: SmsSender;
  logger: Logger;
  clock: Clock;
  timeoutMs: number;
  maxAttempts?: number;
  /** Delivered and failed rows are deleted after this long (OUTBOX_RETENTION_DAYS). */
  retentionMs?: number;
}

const BATCH = 10;

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
  private readonly store = new OutboxStore();

  constructor(private readonly options: OutboxOptions) {}

  providerFor(channel: 'email' | 'sms'): string {
    const sender = channel === 'email' ? this.options.emailSender : this.options.smsSender;
    return sender?.name ?? 'outbox';
  }

  async enqueue(db: Queryable, message: OutboxMessage): Promise<number> {
    const provider = this.providerFor(message.channel);
    const now = this.options.clock();
    // An empty secret could never be found in the body to redact; a missing lifetime would
    // keep it for ever. Both are bugs in the caller, refused before anything is stored.
    if (message.secret !== undefined && (!message.secret || !(message.secretTtlMs > 0))) {
      throw new Error('an outbox secret needs a non-empty value and a positive secretTtlMs');
    }
    return this.store.insert(db, {
      channel: message.channel,
      recipient: message.recipient,
      subject: message.subject ?? null,
      body: message.body,
      secret: message.secret ?? null,
      secretExpiresAt: message.secret ? new Date(now.getTime() + message.secretTtlMs) : null,
      userId: message.userId ?? null,
      purpose: message.purpose ?? null,
      provider,
      status: provider === 'outbox' ? 'recorded' : 'pending',
      nextAttemptAt: now,
    });
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
    const claimed = await this.store.claimDue(knex, now, BATCH, lease);
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
  private async renewClaim(row: OutboxRow): Promise<boolean> {
    const { knex, clock, timeoutMs } = this.options;
    return this.store.renewClaim(knex, row.id, Number(row.attempts) + 1, new Date(clock().getTime() + timeoutMs * 3));
  }

  private async deliver(row: OutboxRow): Promise<void> {
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
      await this.store.markSent(knex, row.id, attempts, clock());
    } catch (err) {
      const retryable = !(err instanceof DeliveryError) || err.retryable;
      const giveUp = !retryable || attempts >= (this.options.maxAttempts ?? 5);
      // Exponential backoff: 2 s, 4 s, 8 s, ... capped at 5 minutes.
      const delay = Math.min(2 ** attempts * 1000, 300_000);
      logger.warn({ outboxId: row.id, provider: row.provider, attempts, err: String(err) }, 'delivery failed');
      const error = String((err as Error).message ?? err).slice(0, 500);
      // A row that gives up is never sent: the store lets go of its secret too.
      await this.store.markAttemptFailed(knex, row.id, attempts, { error, giveUp, nextAttemptAt: new Date(clock().getTime() + delay) });
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

  private async claim(id: number): Promise<OutboxRow | undefined> {
    const { knex, clock, timeoutMs } = this.options;
    const lease = new Date(clock().getTime() + timeoutMs * 3);
    return this.store.claimPending(knex, id, lease);
  }

  private async statusOf(id: number): Promise<OutboxStatus> {
    return (await this.store.statusOf(this.options.knex, id)) ?? 'failed';
  }

  /**
   * Stops retries of a user's undelivered messages for a purpose (an older code that a newer
   * one replaced): retrying would only deliver a code that no longer works.
   */
  async supersede(db: Queryable, userId: string, purpose: string): Promise<number> {
    return this.store.supersede(db, userId, purpose);
  }

  /**
   * Housekeeping: a code or link that expired is of no use to anyone, so no row keeps it, in
   * any status (a demo-mode row showed it until now). A row still waiting for a retry would
   * only deliver a dead code or link: it is not sent at all. Returns how many rows let go of a
   * secret.
   */
  async redactExpired(): Promise<number> {
    const { knex, clock } = this.options;
    return this.store.redactExpired(knex, clock());
  }

  /**
   * Housekeeping: rows that are done (delivered, recorded in demo mode, or failed for good) are
   * deleted after the retention period; rows still to be sent are kept whatever their age.
   */
  async pruneDone(): Promise<number> {
    const { knex, clock, retentionMs = 30 * 86_400_000 } = this.options;
    return this.store.deleteDoneCreatedBefore(knex, new Date(clock().getTime() - retentionMs));
  }

  /** The newest message to a recipient (demo pages and tests read codes and links here). */
  async latest(db: Queryable, recipient: string, purpose?: string) {
    return this.store.latest(db, recipient, purpose);
  }
}
