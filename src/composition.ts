import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import pino, { type Logger } from 'pino';
import { withSafeErrors } from './error-log-serializer.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { AuditLog } from './identity/audit-log.js';
import { ExternalLoginManager } from './identity/external-logins.js';
import { PasswordResetManager } from './identity/password-reset.js';
import { UserLoginStore } from './identity/user-login-store.js';
import { systemClock, type Clock } from './identity/clock.js';
import { createPasswordHasher, type PasswordHasher } from './identity/password-hasher.js';
import { RateLimiter } from './identity/rate-limiter.js';
import { deriveSecretKeys, type SecretKeys } from './identity/secret-keys.js';
import { SignInManager } from './identity/sign-in-manager.js';
import { TokenStore } from './identity/token-store.js';
import { UserManager } from './identity/user-manager.js';
import { UserStore } from './identity/user-store.js';
import { Outbox } from './messaging/outbox.js';
import { createSendGridEmailSender } from './messaging/sendgrid-email-sender.js';
import type { EmailSender, SmsSender } from './messaging/types.js';
import { createTwoFactorServices, smsSenderFor, type TwoFactorServices } from './two-factor-composition.js';

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

function emailSenderFor(config: Config): EmailSender | undefined {
  if (!config.email.sendgridApiKey) return undefined;
  return createSendGridEmailSender({
    apiKey: config.email.sendgridApiKey,
    from: config.email.from,
    baseUrl: config.email.sendgridBaseUrl,
    timeoutMs: config.messagingTimeoutMs,
  });
}

/** The composition root: every service, built once from a validated config. */
export async function createServices(config: Config, overrides: Overrides = {}): Promise<Services> {
  // Every log line of the app goes through this logger: no error writes a value to it.
  const logger = withSafeErrors(overrides.logger ?? pino({ level: config.logLevel }));
  const clock = overrides.clock ?? systemClock;
  const db = overrides.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger }));
  try {
    if (!overrides.migrated) await migrateToLatest(db.knex);
  } catch (err) {
    await db.close();
    throw err;
  }
  const keys = deriveSecretKeys(overrides.appSecret ?? localAppSecret(config));
  const hasher = createPasswordHasher(config.argon2MaxConcurrent, { maxQueueWaitMs: config.argon2MaxQueueWaitMs });
  const store = new UserStore();
  const tokens = new TokenStore(keys.tokenHash, clock);
  const audit = new AuditLog();
  const outbox = new Outbox({
    knex: db.knex,
    emailSender: overrides.emailSender ?? emailSenderFor(config),
    smsSender: overrides.smsSender ?? smsSenderFor(config),
    logger,
    clock,
    timeoutMs: config.messagingTimeoutMs,
    retentionMs: config.outboxRetentionMs,
  });
  const users = new UserManager({
    knex: db.knex,
    store,
    tokens,
    hasher,
    outbox,
    audit,
    clock,
    passwordPolicy: config.password,
    appBaseUrl: config.appBaseUrl,
    emailTokenTtlMs: config.emailTokenTtlMs,
    resetTokenTtlMs: config.resetTokenTtlMs,
  });
  const rateLimiter = new RateLimiter(db.knex, clock);
  const signIn = new SignInManager({ knex: db.knex, users, audit });
  const logins = new UserLoginStore();
  const externalLogins = new ExternalLoginManager({ knex: db.knex, store, logins, users, outbox, audit });
  const passwordReset = new PasswordResetManager({
    knex: db.knex,
    store,
    tokens,
    hasher,
    users,
    outbox,
    audit,
    logins,
    resetTokenTtlMs: config.resetTokenTtlMs,
  });
  const twoFactorServices = createTwoFactorServices({ config, knex: db.knex, clock, keys, store, tokens, audit, outbox, rateLimiter });
  return {
    config,
    db,
    logger,
    clock,
    keys,
    hasher,
    store,
    tokens,
    audit,
    outbox,
    rateLimiter,
    users,
    signIn,
    externalLogins,
    passwordReset,
    ...twoFactorServices,
    async close() {
      await outbox.drain();
      await db.close();
    },
  };
}
