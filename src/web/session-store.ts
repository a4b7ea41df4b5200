import session from 'express-session';
import type { Knex } from 'knex';
import type { Clock } from '../identity/clock.js';

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * express-session store on the `sessions` table through knex, so it works on PGlite and on
 * Postgres alike (connect-pg-simple's multi-statement SQL does not run on PGlite). The
 * session's user id is kept in its own column, so all sessions of an account can be listed
 * and ended.
 */
export class KnexSessionStore extends session.Store {
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly idleMs: number,
  ) {
    super();
  }

  private expiresFor(sess: session.SessionData): Date {
    const cookieExpires = sess.cookie?.expires ? new Date(sess.cookie.expires) : undefined;
    return cookieExpires ?? new Date(this.clock().getTime() + this.idleMs);
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.knex('sessions')
      .where({ sid })
      .where('expires', '>', this.clock())
      .first('data')
      .then((row) => {
        const data = row ? (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) : null;
        callback(null, data);
      }, callback);
  }

  override set(sid: string, sess: session.SessionData, callback?: Callback): void {
    const row = {
      sid,
      user_id: sess.userId ?? null,
      data: JSON.stringify(sess),
      expires: this.expiresFor(sess),
    };
    this.knex('sessions')
      .insert(row)
      .onConflict('sid')
      .merge(['user_id', 'data', 'expires'])
      .then(() => callback?.(), (err) => callback?.(err));
  }

  override touch(sid: string, sess: session.SessionData, callback?: Callback): void {
    this.knex('sessions')
      .where({ sid })
      .update({ expires: this.expiresFor(sess) })
      .then(() => callback?.(), (err) => callback?.(err));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.knex('sessions')
      .where({ sid })
      .delete()
      .then(() => callback?.(), (err) => callback?.(err));
  }

  /** Ends every session of a user (all devices), e.g. from the admin CLI. */
  async destroyAllForUser(userId: string): Promise<number> {
    return this.knex('sessions').where({ user_id: userId }).delete();
  }

  async pruneExpired(): Promise<number> {
    return this.knex('sessions').where('expires', '<=', this.clock()).delete();
  }

  startPruning(intervalMs = 15 * 60_000): void {
    this.sweeper = setInterval(() => void this.pruneExpired().catch(() => undefined), intervalMs);
    this.sweeper.unref();
  }

  stopPruning(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }
}
