import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import google from 'passport-google-oauth20';
import type { GoogleConfig } from '../config.js';
import type { Clock } from '../clock.js';
import type { ExternalLoginInfo } from '../identity/external-logins.js';
import { randomUrlToken } from '../identity/token-store.js';
import { safeEqual } from '../identity/secret-keys.js';

/**
 * Google sign-in, and all of passport there is. Passport only runs the OAuth 2 strategy (the
 * redirect, the code exchange, the user-info call); sessions, sign-in and linking stay ours,
 * so `session: false` and no passport.session().
 */

export const GOOGLE = { name: 'Google', displayName: 'Google' } as const;
export const CALLBACK_PATH = '/account/external-login-callback';
/** How long the round trip to the provider may take before its state is refused. */
const STATE_TTL_MS = 10 * 60_000;

/** Why the flow started; saved in the session beside the state nonce. */
export interface ExternalAuthIntent {
  intent: 'login' | 'link';
  returnUrl: string;
  /** For 'link': the signed-in user who asked, checked again at the callback. */
  userId?: string;
}

export interface ExternalAuthRequest extends ExternalAuthIntent {
  nonce: string;
  verifier?: string;
  startedAt: number;
}

export type ExternalAuthOutcome = { ok: true; login: ExternalLoginInfo; intent: ExternalAuthIntent } | { ok: false; reason: string };

export interface GoogleAuth {
  providers: Array<{ name: string; displayName: string }>;
  /** Origin of the authorization endpoint: CSP form-action must allow the POST's redirect there. */
  authorizationOrigin: string;
  challenge(req: Request, res: Response, next: NextFunction, intent: ExternalAuthIntent): void;
  callback(req: Request, res: Response): Promise<ExternalAuthOutcome>;
}

type Done = (err: Error | null, ok?: unknown, state?: unknown) => void;

/**
 * The OAuth `state` lives in this session only and works once: a callback carrying another
 * browser's state (login CSRF, forced linking), an old one or none is refused. The PKCE
 * verifier is kept beside it, so a stolen code is useless without this session.
 */
function sessionStateStore(clock: Clock) {
  return {
    store(req: Request, verifier: string | undefined, intent: ExternalAuthIntent, _meta: unknown, done: Done) {
      const nonce = randomUrlToken();
      req.session.externalAuth = { ...intent, nonce, verifier, startedAt: clock().getTime() };
      done(null, nonce);
    },
    verify(req: Request, provided: unknown, _meta: unknown, done: Done) {
      const saved = req.session.externalAuth;
      delete req.session.externalAuth;
      const fresh = saved && clock().getTime() - saved.startedAt < STATE_TTL_MS;
      if (!saved || !fresh || typeof provided !== 'string' || !safeEqual(saved.nonce, provided)) {
        return done(null, false, { message: 'state' });
      }
      const { nonce: _n, verifier, startedAt: _s, ...intent } = saved;
      done(null, verifier ?? true, intent);
    },
  };
}

/** Google's OpenID user info, read straight from the JSON (whatever the URL's format). */
function toLoginInfo(profile: google.Profile): ExternalLoginInfo | false {
  const json = (profile._json ?? {}) as Record<string, unknown>;
  const sub = typeof json.sub === 'string' ? json.sub : profile.id;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) return false;
  const email = typeof json.email === 'string' ? json.email : (profile.emails?.[0]?.value ?? null);
  // Anything but an explicit true (or Google's old "true" string) counts as unverified.
  const verified = json.email_verified === true || json.email_verified === 'true';
  return { loginProvider: GOOGLE.name, providerKey: sub, providerDisplayName: GOOGLE.displayName, email, emailVerified: verified };
}

/** The Google module, or undefined when GOOGLE_CLIENT_ID/SECRET are not set. */
export function createGoogleAuth(config: GoogleConfig | undefined, appBaseUrl: string, clock: Clock): GoogleAuth | undefined {
  if (!config) return undefined;
  const runner = new passport.Passport();
  const options = {
    clientID: config.clientId,
    clientSecret: config.clientSecret,
    // Fixed from configuration, never built from the request's Host header.
    callbackURL: `${appBaseUrl}${CALLBACK_PATH}`,
    authorizationURL: config.authorizationUrl,
    tokenURL: config.tokenUrl,
    userProfileURL: config.userInfoUrl,
    scope: ['openid', 'email', 'profile'],
    pkce: true,
    store: sessionStateStore(clock),
  };
  runner.use(
    'google',
    new google.Strategy(options as unknown as google.StrategyOptions, (_access, _refresh, profile, done) =>
      done(null, toLoginInfo(profile)),
    ),
  );

  return {
    providers: [{ ...GOOGLE }],
    authorizationOrigin: new URL(config.authorizationUrl).origin,
    challenge(req, res, next, intent) {
      runner.authenticate('google', { session: false, state: intent } as never)(req, res, next);
    },
    callback: (req, res) => googleCallback(runner, req, res),
  };
}

/** Finishes the round trip: the provider's answer, checked by passport, as an outcome. */
function googleCallback(runner: passport.Authenticator, req: Request, res: Response): Promise<ExternalAuthOutcome> {
  // Without a code or an error passport would start a new authorization: refuse instead.
  if (typeof req.query.code !== 'string' && typeof req.query.error !== 'string') {
    delete req.session.externalAuth;
    return Promise.resolve({ ok: false, reason: 'NoCode' });
  }
  return new Promise((resolve) => {
    const finish = (err: unknown, login: unknown, info: unknown) => {
      delete req.session.externalAuth;
      const state = (info as { state?: ExternalAuthIntent } | undefined)?.state;
      if (err) return resolve({ ok: false, reason: (err as Error).name || 'Error' });
      if (!login || !state) return resolve({ ok: false, reason: (info as { message?: string })?.message ?? 'Denied' });
      resolve({ ok: true, login: login as ExternalLoginInfo, intent: state });
    };
    runner.authenticate('google', { session: false }, finish)(req, res, (err: unknown) => finish(err, false, undefined));
  });
}
