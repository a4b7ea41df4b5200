import type { SessionData } from 'express-session';
import type { Config } from '../config.js';

/**
 * How long a session lives (docs/sessions.md). Two pairs: a normal session ends after
 * `idleMs` without a request and `absoluteMs` after the sign-in; a "Remember me" session,
 * which survives a browser restart, after `rememberedIdleMs` and `rememberedAbsoluteMs`.
 * Both are enforced on the server (the session row's expiry and the check on every request),
 * never left to the cookie's expiry, which the browser keeps or drops as it likes.
 */
export interface SessionLifetimes {
  idleMs: number;
  absoluteMs: number;
  rememberedIdleMs: number;
  rememberedAbsoluteMs: number;
}

export function sessionLifetimes(config: Config): SessionLifetimes {
  return {
    idleMs: config.sessionIdleMs,
    absoluteMs: config.sessionAbsoluteMs,
    rememberedIdleMs: config.rememberMeIdleMs,
    rememberedAbsoluteMs: config.rememberMeAbsoluteMs,
  };
}

type Lifetime = Pick<SessionData, 'signedInAt' | 'rememberMe'>;

/**
 * When the session's absolute lifetime ends: counted from the sign-in with the first factor
 * (`signedInAt`, kept across re-issues), so no activity and no re-issue extends it.
 * Undefined for a session nobody signed in to (a pending two-factor step, which has its own
 * five minutes, or a Google round trip): those have only the idle timeout.
 */
export function absoluteEnd(sess: Lifetime, lifetimes: SessionLifetimes): number | undefined {
  if (sess.signedInAt === undefined) return undefined;
  return sess.signedInAt + (sess.rememberMe ? lifetimes.rememberedAbsoluteMs : lifetimes.absoluteMs);
}

/** Until when the session row is valid after a request at `now`: idle timeout, capped by the absolute end. */
export function sessionExpiry(sess: Lifetime, now: number, lifetimes: SessionLifetimes): number {
  const idle = now + (sess.rememberMe ? lifetimes.rememberedIdleMs : lifetimes.idleMs);
  const end = absoluteEnd(sess, lifetimes);
  return end === undefined ? idle : Math.min(idle, end);
}
