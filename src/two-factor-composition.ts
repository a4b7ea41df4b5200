import type { Queryable } from './db/queryable.js';
import type { Config } from './config.js';
import type { AuditLog } from './db/stores/audit-log.js';
import type { Clock } from './clock.js';
import { PhoneNumberManager } from './identity/phone-number-manager.js';
import type { RateLimiter } from './identity/rate-limiter.js';
import { RememberedBrowsers } from './identity/remembered-browsers.js';
import type { SecretKeys } from './identity/secret-keys.js';
import { SecurityCodeSender } from './identity/security-code-sender.js';
import type { TokenStore } from './identity/token-store.js';
import { codeFactor, type SecondFactor } from './identity/sign-in/second-factor.js';
import { TwoFactorManager } from './identity/two-factor-manager.js';
import type { UserStore } from './db/stores/user-store.js';
import type { Outbox } from './messaging/outbox.js';

export interface TwoFactorServices {
  codes: SecurityCodeSender;
  twoFactor: TwoFactorManager;
  /** Every second factor the sign-in offers, in the order the Send Code page lists them. */
  factors: SecondFactor[];
  phoneNumbers: PhoneNumberManager;
  rememberedBrowsers: RememberedBrowsers;
}

export interface TwoFactorServiceDeps {
  config: Config;
  knex: Queryable;
  clock: Clock;
  keys: SecretKeys;
  store: UserStore;
  tokens: TokenStore;
  audit: AuditLog;
  outbox: Outbox;
  rateLimiter: RateLimiter;
}

/** Wires the two-factor services (part of the composition root in composition.ts). */
export function createTwoFactorServices(deps: TwoFactorServiceDeps): TwoFactorServices {
  const { config, knex, clock, keys, store, tokens, audit, outbox, rateLimiter } = deps;
  const settings = config.twoFactor;
  const codes = new SecurityCodeSender({
    knex,
    store,
    clock,
    tokens,
    outbox,
    audit,
    rateLimiter,
    codeTtlMs: settings.codeTtlMs,
    limits: settings.sendLimits,
  });
  return {
    codes,
    twoFactor: new TwoFactorManager({ knex, store, audit, outbox }),
    factors: [codeFactor('Phone Code', { knex, tokens, codes }), codeFactor('Email Code', { knex, tokens, codes })],
    phoneNumbers: new PhoneNumberManager({ knex, store, tokens, codes, audit, outbox }),
    rememberedBrowsers: new RememberedBrowsers({ knex, audit, clock, key: keys.rememberBrowser, ttlMs: settings.rememberBrowserMs }),
  };
}
