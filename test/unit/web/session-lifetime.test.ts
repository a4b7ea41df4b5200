import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { absoluteEnd, sessionExpiry, sessionLifetimes } from '../../../src/web/session-lifetime.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const lifetimes = sessionLifetimes(loadConfig({ NODE_ENV: 'test' }));
const t0 = Date.UTC(2026, 0, 1);

describe('session lifetimes', () => {
  it('default to 30 minutes / 12 hours, and 7 days / 30 days remembered', () => {
    expect(lifetimes).toEqual({ idleMs: 30 * MINUTE, absoluteMs: 12 * HOUR, rememberedIdleMs: 7 * DAY, rememberedAbsoluteMs: 30 * DAY });
  });

  it('end a normal session 30 idle minutes after its last request, never past 12 hours after sign-in', () => {
    const sess = { signedInAt: t0 };
    expect(sessionExpiry(sess, t0 + HOUR, lifetimes)).toBe(t0 + HOUR + 30 * MINUTE);
    expect(sessionExpiry(sess, t0 + 11 * HOUR + 50 * MINUTE, lifetimes)).toBe(t0 + 12 * HOUR);
    expect(absoluteEnd(sess, lifetimes)).toBe(t0 + 12 * HOUR);
  });

  it('end a remembered session 7 idle days after its last request, never past 30 days after sign-in', () => {
    const sess = { signedInAt: t0, rememberMe: true };
    expect(sessionExpiry(sess, t0 + DAY, lifetimes)).toBe(t0 + 8 * DAY);
    expect(sessionExpiry(sess, t0 + 28 * DAY, lifetimes)).toBe(t0 + 30 * DAY);
    expect(absoluteEnd(sess, lifetimes)).toBe(t0 + 30 * DAY);
  });

  it('give a session nobody signed in to (a pending two-factor step) only the idle timeout', () => {
    expect(absoluteEnd({}, lifetimes)).toBeUndefined();
    expect(sessionExpiry({}, t0, lifetimes)).toBe(t0 + 30 * MINUTE);
  });

  it('are settings, checked at start', () => {
    const custom = sessionLifetimes(loadConfig({ NODE_ENV: 'test', REMEMBER_ME_IDLE_DAYS: '2', REMEMBER_ME_ABSOLUTE_DAYS: '14' }));
    expect([custom.rememberedIdleMs, custom.rememberedAbsoluteMs]).toEqual([2 * DAY, 14 * DAY]);
    expect(() => loadConfig({ NODE_ENV: 'test', REMEMBER_ME_IDLE_DAYS: '0' })).toThrow(/REMEMBER_ME_IDLE_DAYS/);
  });
});
