import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { withSafeErrors } from './error-log-serializer.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { createLogger } from './logger.js';
import { AuditLog } from './db/stores/audit-log.js';
import { ExternalLoginManager } from './identity/external-logins.js';
import { PasswordResetManager } from './identity/password-reset.js';
import { UserLoginStore } from './db/stores/user-login-store.js';
import { systemClock, type Clock } from './clock.js';
import { createPasswordHasher, type PasswordHasher } from './identity/password-hasher.js';
import { RateLimiter } from './identity/rate-limiter.js';
import { deriveSecretKeys, type SecretKeys } from './identity/secret-keys.js';
import { CodeLockout } from './identity/sign-in/lockout.js';
import { SignInManager } from './identity/sign-in/sign-in-manager.js';
import { SignInThrottle } from './identity/sign-in/sign-in-throttle.js';
import { TokenStore } from './identity/token-store.js';
import { UserManager } from './identity/user-manager.js';
import { UserStore } from './db/stores/user-store.js';
import { Outbox } from './messaging/outbox.js';
import { emailSenderFor, smsSenderFor } from './messaging/providers.js';
import type { EmailSender, SmsSender } from './messaging/types.js';
import { createAccountLinks } from './web/account-links.js';
import { RATE_LIMITS } from './web/rate-limits.js';
import { createTwoFactorServices, type TwoFactorServices } from './two-factor-composition.js';

export interface Services extends TwoFactorServices {
  config: Config;
  db: Database;
  logger: Logger;
  clock: Clock;
  keys: SecretKeys;
  hasher: PasswordHasher;
  store: UserStore;
  tokens: TokenStore;
  audit: AuditLog;
  outbox: Outbox;
  rateLimiter: RateLimiter;
  users: UserManager;
  signIn: SignInManager;
  externalLogins: ExternalLoginManager;
  passwordReset: PasswordResetManager;
  close(): Promise<void>;
}

export interface Overrides {
  db?: Database;
  logger?: Logger;
  clock?: Clock;
  appSecret?: string;
  emailSender?: EmailSender;
  smsSender?: SmsSender;
  /** Skip migrations (a test database made from an already-migrated snapshot). */
  migrated?: boolean;
}

/**
 * For local use the session secret is generated once and kept beside the data, so sessions
 * survive a restart without anyone having to invent a secret. Production must set it.
 */
function localAppSecret(config: Config): string {
  if (config.sessionSecret) return config.sessionSecret;
  fs.mkdirSync(config.dataDir, { recursive: true });
  const file = path.join(config.dataDir, 'session-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const secret = crypto.randomBytes(32).toString('base64url');
    fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/** The composition root: every service, built once from a validated config. */
export async function createServices(config: Config, overrides: Overrides = {}): Promise<Services> {
  // Every log line of the app goes through this logger: no error writes a value to it.
  const logger = withSafeErrors(overrides.logger ?? createLogger({ level: config.logLevel, format: 'json' }));
  const clock = overrides.clock ?? systemClock;
  const db = await openMigratedDatabase(config, overrides, logger);
  const keys = deriveSecretKeys(overrides.appSecret ?? localAppSecret(config));
  const outbox = await createOutbox(config, overrides, { knex: db.knex, logger, clock });
  const core: CoreServices = { config, db, logger, clock, keys, outbox };
  const identity = createIdentityServices(core);
  const rateLimiter = new RateLimiter(db.knex, clock);
  const { store, tokens, audit } = identity;
  const twoFactorServices = createTwoFactorServices({ config, knex: db.knex, clock, keys, store, tokens, audit, outbox, rateLimiter });
  const signIn = createSignInManager(config, { ...core, ...identity, ...twoFactorServices, knex: db.knex, rateLimiter });
  return {
    ...core,
    ...identity,
    rateLimiter,
    signIn,
    ...twoFactorServices,
    async close() {
      await outbox.drain();
      await db.close();
    },
  };
}

/** Opens the database and brings its schema up to date; a failed migration closes it again. */
async function openMigratedDatabase(config: Config, overrides: Overrides, logger: Logger): Promise<Database> {
  const db = overrides.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger }));
  try {
    if (!overrides.migrated) await migrateToLatest(db.knex);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

async function createOutbox(
  config: Config,
  overrides: Overrides,
  parts: { knex: Database['knex']; logger: Logger; clock: Clock },
): Promise<Outbox> {
  return new Outbox({
    ...parts,
    emailSender: overrides.emailSender ?? (await emailSenderFor(config)),
    smsSender: overrides.smsSender ?? (await smsSenderFor(config)),
    timeoutMs: config.messagingTimeoutMs,
    retentionMs: config.outboxRetentionMs,
  });
}

type CoreServices = Pick<Services, 'config' | 'db' | 'logger' | 'clock' | 'keys' | 'outbox'>;
type IdentityServices = Pick<Services, 'hasher' | 'store' | 'tokens' | 'audit' | 'users' | 'externalLogins' | 'passwordReset'>;

/** The user's state and policy (UserManager) and the two ways back in: an external login, a reset. */
function createIdentityServices({ config, db, clock, keys, outbox }: CoreServices): IdentityServices {
  const knex = db.knex;
  const hasher = createPasswordHasher(config.argon2MaxConcurrent, { maxQueueWaitMs: config.argon2MaxQueueWaitMs });
  const store = new UserStore();
  const tokens = new TokenStore(keys.tokenHash, clock);
  const audit = new AuditLog();
  const links = createAccountLinks(config.appBaseUrl);
  const users = new UserManager({
    knex,
    store,
    tokens,
    hasher,
    outbox,
    audit,
    clock,
    passwordPolicy: config.password,
    links,
    emailTokenTtlMs: config.emailTokenTtlMs,
    resetTokenTtlMs: config.resetTokenTtlMs,
  });
  const logins = new UserLoginStore();
  const externalLogins = new ExternalLoginManager({ knex, store, logins, users, outbox, audit, links });
  const resetTokenTtlMs = config.resetTokenTtlMs;
  const passwordReset = new PasswordResetManager({ knex, store, tokens, hasher, users, outbox, audit, logins, resetTokenTtlMs, links });
  return { hasher, store, tokens, audit, users, externalLogins, passwordReset };
}

type SignInParts = Pick<
  Services,
  'clock' | 'keys' | 'users' | 'store' | 'tokens' | 'audit' | 'outbox' | 'rateLimiter' | 'externalLogins' | 'rememberedBrowsers' | 'factors'
> & { knex: Database['knex'] };

/** The sign-in conversation and its two guards: the password throttle and the code lockout. */
function createSignInManager(config: Config, parts: SignInParts): SignInManager {
  const { knex, clock, keys, users, store, tokens, audit, outbox, rateLimiter, externalLogins, rememberedBrowsers, factors } = parts;
  const attempts = config.signInAttempts;
  const throttle = new SignInThrottle({
    knex,
    rateLimiter,
    audit,
    key: keys.tokenHash,
    perIp: { ...RATE_LIMITS.signInPerIp, limit: attempts.perIp },
    perAccount: { ...RATE_LIMITS.signInPerAccount, limit: attempts.perAccount },
    perKnownDevice: { ...RATE_LIMITS.signInPerKnownDevice, limit: attempts.perAccount },
  });
  const lockout = new CodeLockout({
    knex,
    store,
    tokens,
    audit,
    outbox,
    clock,
    maxFailedAccessAttempts: config.twoFactor.maxFailedAccessAttempts,
    lockoutDurationsMs: config.twoFactor.lockoutDurationsMs,
  });
  return new SignInManager({ knex, clock, users, store, audit, throttle, lockout, rememberedBrowsers, externalLogins, factors });
}
