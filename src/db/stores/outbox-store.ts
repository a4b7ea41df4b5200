import type { Knex } from 'knex';
import type { Queryable } from '../queryable.js';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'recorded' | 'failed';

/** A new `outbox` row, as the Outbox decided it. */
export interface NewOutboxRow {
  channel: 'email' | 'sms';
  recipient: string;
  subject: string | null;
  body: string;
  secret: string | null;
  secretExpiresAt: Date | null;
  userId: string | null;
  purpose: string | null;
  provider: string;
  status: OutboxStatus;
  nextAttemptAt: Date;
}

/** The columns of a claimed `outbox` row that delivery reads. */
export interface OutboxRow {
  id: number;
  attempts: number | string;
  channel: 'email' | 'sms';
  recipient: string;
  subject: string | null;
  body: string;
  provider: string | null;
}

/**
 * Why a row no longer holds its secret. A delivered row keeps the seed's plain "[redacted]";
 * the others say why, for whoever reads the outbox later (docs/outbox.md).
 */
type RedactionReason = 'delivered' | 'expired' | 'gave up' | 'superseded';

const redactionMarker = (reason: RedactionReason) => (reason === 'delivered' ? '[redacted]' : `[redacted: ${reason}]`);

/**
 * The one way a row lets go of its secret: every occurrence of it, in every column that can
 * hold it (subject, body, and the provider's error text, which may echo the message), is
 * replaced by the marker, and the secret column itself is cleared. Postgres evaluates every
 * right-hand side on the old row, so `secret` inside `replace` is still the secret; a row
 * without one keeps its text. `error` is the error text to store in the same statement
 * (redacted too), if it changes.
 */
function redactSecret(db: Queryable, reason: RedactionReason, error?: string) {
  const marker = redactionMarker(reason);
  const replaced = (value: Knex.Raw) => db.raw('CASE WHEN secret IS NULL THEN ? ELSE replace(?, secret, ?) END', [value, value, marker]);
  return {
    subject: replaced(db.raw('??', ['subject'])),
    body: replaced(db.raw('??', ['body'])),
    error: replaced(error === undefined ? db.raw('??', ['error']) : db.raw('?::text', [error])),
    secret: null,
    secret_expires_at: null,
  };
}

/**
 * All SQL about `outbox`. Claims use FOR UPDATE SKIP LOCKED and count the attempt in the same
 * transaction, so several instances never claim one row together; the attempt count is the
 * claim, and every later write about a send is conditional on it.
 */
export class OutboxStore {
  async insert(db: Queryable, row: NewOutboxRow): Promise<number> {
    const [inserted] = await db('outbox')
      .insert({
        channel: row.channel,
        recipient: row.recipient,
        subject: row.subject,
        body: row.body,
        secret: row.secret,
        secret_expires_at: row.secretExpiresAt,
        user_id: row.userId,
        purpose: row.purpose,
        provider: row.provider,
        status: row.status,
        next_attempt_at: row.nextAttemptAt,
      })
      .returning('id');
    return Number(inserted.id);
  }

  /** Claims up to `limit` due rows (pending, or sending with a lapsed lease) until `leaseUntil`. */
  async claimDue(db: Queryable, now: Date, limit: number, leaseUntil: Date): Promise<OutboxRow[]> {
    return db.transaction(async (trx) => {
      const rows: OutboxRow[] = await trx('outbox')
        .whereIn('status', ['pending', 'sending'])
        .where('next_attempt_at', '<=', now)
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked();
      if (rows.length === 0) return [];
      await trx('outbox')
        .whereIn(
          'id',
          rows.map((r) => r.id),
        )
        .update({ status: 'sending', attempts: trx.raw('attempts + 1'), next_attempt_at: leaseUntil });
      return rows;
    });
  }

  /** Claims one pending row until `leaseUntil`, unless another worker holds or sent it. */
  async claimPending(db: Queryable, id: number, leaseUntil: Date): Promise<OutboxRow | undefined> {
    return db.transaction(async (trx) => {
      const row: OutboxRow | undefined = await trx('outbox').where({ id, status: 'pending' }).forUpdate().skipLocked().first();
      if (!row) return undefined;
      await trx('outbox')
        .where({ id })
        .update({ status: 'sending', attempts: trx.raw('attempts + 1'), next_attempt_at: leaseUntil });
      return row;
    });
  }

  /** Extends the lease of a row still claimed with this attempt count; false when another claimed it since. */
  async renewClaim(db: Queryable, id: number, attempts: number, leaseUntil: Date): Promise<boolean> {
    const renewed = await db('outbox').where({ id, status: 'sending', attempts }).update({ next_attempt_at: leaseUntil }).returning('id');
    return renewed.length === 1;
  }

  /** Records a delivery (and lets go of the secret), if the claim of this attempt is still the row's. */
  async markSent(db: Queryable, id: number, attempts: number, sentAt: Date): Promise<void> {
    await db('outbox')
      .where({ id, attempts })
      .update({ ...redactSecret(db, 'delivered'), status: 'sent', sent_at: sentAt, error: null });
  }

  /**
   * Records a failed send, if the claim of this attempt is still the row's: retried at
   * `nextAttemptAt`, or failed for good (`giveUp`), when the secret goes too.
   */
  async markAttemptFailed(
    db: Queryable,
    id: number,
    attempts: number,
    failure: { error: string; giveUp: boolean; nextAttemptAt: Date },
  ): Promise<void> {
    const { error, giveUp, nextAttemptAt } = failure;
    await db('outbox')
      .where({ id, attempts })
      .update({
        // A row that gives up is never sent: its secret is of no more use to anyone.
        ...(giveUp ? redactSecret(db, 'gave up', error) : { error }),
        status: giveUp ? 'failed' : 'pending',
        next_attempt_at: nextAttemptAt,
      });
  }

  async statusOf(db: Queryable, id: number): Promise<OutboxStatus | undefined> {
    const row = await db('outbox').where({ id }).first('status');
    return row?.status;
  }

  /** Fails (and redacts) a user's pending messages for a purpose. */
  async supersede(db: Queryable, userId: string, purpose: string): Promise<number> {
    return db('outbox')
      .where({ user_id: userId, purpose, status: 'pending' })
      .update({ ...redactSecret(db, 'superseded'), status: 'failed', error: 'superseded by a newer message' });
  }

  /**
   * Redacts every secret that expired by `now`, in any status; a row still pending is failed
   * first, never sent. Returns how many rows let go of a secret.
   */
  async redactExpired(db: Queryable, now: Date): Promise<number> {
    const expired = () => db('outbox').whereNotNull('secret').where('secret_expires_at', '<=', now);
    await expired().where({ status: 'pending' }).update({ status: 'failed', error: 'expired before it could be delivered' });
    return expired().update(redactSecret(db, 'expired'));
  }

  /** Deletes rows that are done (sent, recorded or failed) and were created by `cutoff`. */
  async deleteDoneCreatedBefore(db: Queryable, cutoff: Date): Promise<number> {
    return db('outbox').whereIn('status', ['sent', 'recorded', 'failed']).where('created_at', '<=', cutoff).delete();
  }

  /** The newest row to a recipient, optionally for one purpose, as stored. */
  async latest(db: Queryable, recipient: string, purpose?: string) {
    const query = db('outbox').where({ recipient }).orderBy('id', 'desc');
    if (purpose) query.where({ purpose });
    return query.first();
  }
}
