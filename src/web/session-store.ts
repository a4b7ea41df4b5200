import type { Request } from 'express';
import session from 'express-session';
import type { Clock } from '../clock.js';
import type { RowsQuery } from '../db/database.js';
import type { Queryable } from '../db/queryable.js';
import { SessionStore } from '../db/stores/session-store.js';
import type { User } from '../db/stores/user-store.js';
import { sessionExpiry, type SessionLifetimes } from './session-lifetime.js';

type Callback<T = void> = (err?: unknown, value?: T) => void;

/** The account a session belongs to, read in the same query as the session itself. */
export interface SessionAccount {
  /** The session row's user id. */
  userId: string;
  /** Undefined when the user no longer exists. */
  user: User | undefined;
  externalLoginCount: number;
}

// Carries the account from `get` to `createSession` without it becoming session data
// (express-session copies only enumerable string keys into the session).
const ACCOUNT = Symbol('session account');

/**
 * express-session store on the `sessions` table, its SQL in SessionStore (src/db/stores/), so
 * it works on PGlite and on Postgres alike (connect-pg-simple's multi-statement SQL does not
 * run on PGlite). The session's user id is kept in its own column, so all sessions of an
 * account can be listed and ended.
 *
 * express-session touches the session at the end of every request that did not change it.
 * Writing the new expiry each time made every page view a third query and a committed UPDATE
 * (a WAL flush and a dead row): about a quarter of the CPU of a signed-in page, app and
 * Postgres together (`npm run bench`). So a touch writes only when this process has not
 * written the session's expiry for `touchAfterMs`: the idle timeout then holds to within that
 * interval, and a busy user costs one write a minute instead of one per page.
 */
export class KnexSessionStore extends session.Store {
  /** sid → when this process last wrote that session, and what (only the last `touchAfterMs`). */
  private readonly written = new Map<string, { at: number; data?: string }>();
  private lastForget = 0;
  /** The account each request's session was loaded with (SessionStore.findUnexpiredWithAccount). */
  private readonly accounts = new WeakMap<Request, SessionAccount>();
  private readonly store = new SessionStore();

  constructor(
    private readonly knex: Queryable,
    /** The database's fast path for the session query, run on every request. */
    private readonly rows: RowsQuery,
    private readonly clock: Clock,
    private readonly lifetimes: SessionLifetimes,
    private readonly touchAfterMs = 60_000,
  ) {
    super();
  }

  private rememberWrite(sid: string, data?: string): void {
    const now = this.clock().getTime();
    this.written.set(sid, { at: now, data });
    // Forget old writes at most once per interval, so the map holds only recently active sessions.
    if (now - this.lastForget < this.touchAfterMs) return;
    this.lastForget = now;
    for (const [key, { at }] of this.written) if (now - at >= this.touchAfterMs) this.written.delete(key);
  }

  private writtenRecently(sid: string): boolean {
    const last = this.written.get(sid);
    return last !== undefined && this.clock().getTime() - last.at < this.touchAfterMs;
  }

  /**
   * The row's expiry, from the session's own lifetimes and this server's clock. Not the
   * cookie's expiry: express-session slides that on every request, which gave "Remember me"
   * sessions no idle timeout at all, and it follows the machine's clock, not the app's.
   */
  private expiresFor(sess: session.SessionData): Date {
    return new Date(sessionExpiry(sess, this.clock().getTime(), this.lifetimes));
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    const now = this.clock();
    this.store
      .findUnexpiredWithAccount(this.rows, sid, now)
      .then(async (found) => {
        if (found) {
          const data = found.data as unknown as session.SessionData;
          // Read back, maybe as another instance left it: the next write must not be skipped
          // for matching what this process wrote before (see `set`).
          const last = this.written.get(sid);
          if (last) last.data = undefined;
          if (found.userId) {
            const account: SessionAccount = { userId: found.userId, user: found.user, externalLoginCount: found.externalLoginCount };
            Object.defineProperty(data, ACCOUNT, { value: account, enumerable: false });
          }
          return data;
        }
        // A session that timed out is over: its row (user id, stamp) goes now, when its cookie
        // comes back, not at the next sweep. Only a validly signed cookie gets this far.
        this.written.delete(sid);
        await this.store.deleteIfExpired(this.knex, sid, now);
        return null;
      })
      .then((data) => callback(null, data), callback);
  }

  override createSession(req: Request, data: session.SessionData): session.Session & session.SessionData {
    const account = (data as { [ACCOUNT]?: SessionAccount })[ACCOUNT];
    if (account) this.accounts.set(req, account);
    return super.createSession(req, data);
  }

  /** The account loaded with this request's session, if it was loaded from the store. */
  accountLoadedWith(req: Request): SessionAccount | undefined {
    return this.accounts.get(req);
  }

  override set(sid: string, sess: session.SessionData, callback?: Callback): void {
    const data = JSON.stringify(sess);
    // A sign-in stored the same session three times: saved before its redirect, saved by the
    // redirect, and saved again by express-session at the end (it never counts a regenerated
    // session as saved). The same data this process wrote moments ago, with no read of the
    // session since, is not written again.
    if (this.writtenRecently(sid) && this.written.get(sid)!.data === data) return void callback?.();
    this.store.upsert(this.knex, { sid, userId: sess.userId ?? null, data, expires: this.expiresFor(sess) }).then(
      () => {
        this.rememberWrite(sid, data);
        callback?.();
      },
      (err) => callback?.(err),
    );
  }

  override touch(sid: string, sess: session.SessionData, callback?: Callback): void {
    if (this.writtenRecently(sid)) return void callback?.();
    this.store.setExpiry(this.knex, sid, this.expiresFor(sess)).then(
      () => {
        this.rememberWrite(sid);
        callback?.();
      },
      (err) => callback?.(err),
    );
  }

  override destroy(sid: string, callback?: Callback): void {
    this.written.delete(sid);
    this.store.delete(this.knex, sid).then(
      () => callback?.(),
      (err) => callback?.(err),
    );
  }

  async pruneExpired(): Promise<number> {
    return this.store.deleteExpired(this.knex, this.clock());
  }
}
