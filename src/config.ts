import { z } from 'zod';
import { bool, DAY, HOUR, int, MINUTE, optional, optionalUrl } from './config-values.js';
import { demoModeProblems, isLoopbackHost } from './config-demo-mode.js';
import { smsProviderProblems, twoFactorConfig, twoFactorEnvShape, type TwoFactorConfigPart } from './config-two-factor.js';

/**
 * The only reader of `process.env`. `loadConfig` validates every variable at once and throws a
 * `ConfigError` naming each bad one, so a misconfigured server refuses to start and says why.
 * Nothing here has side effects at import. Every duration leaves here in milliseconds (`…Ms`),
 * whatever unit its variable is written in, so no other file converts units.
 */

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(3000, 0, 65535),
  // Blank counts as unset, so a copied .env.example with APP_NAME= keeps the default.
  APP_NAME: optional.pipe(z.string().max(60, 'must be at most 60 characters').optional()),
  // Default depends on NODE_ENV (see loadConfig): loopback except in production.
  HOST: optional,
  DATA_DIR: z.string().min(1).default('./.data'),
  DATABASE_URL: optional.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres://')
      .optional(),
  ),
  APP_BASE_URL: optionalUrl,
  SESSION_SECRET: optional.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  SESSION_IDLE_MINUTES: int(30, 1, 60 * 24 * 30),
  SESSION_ABSOLUTE_HOURS: int(12, 1, 24 * 365),
  REMEMBER_ME_IDLE_DAYS: int(7, 1, 365),
  REMEMBER_ME_ABSOLUTE_DAYS: int(30, 1, 365),
  TRUST_PROXY: int(0, 0, 10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT: z.string().default('100kb'),
  DEMO_MODE: optional.pipe(bool.optional()),
  PASSWORD_MIN_LENGTH: int(8, 8, 128),
  PASSWORD_MAX_LENGTH: int(256, 64, 1024),
  PASSWORD_REQUIRE_COMPOSITION: bool.default(false),
  ARGON2_MAX_CONCURRENT: int(0, 0, 64),
  ARGON2_MAX_QUEUE_WAIT_MS: int(2_000, 10, 60_000),
  EMAIL_FROM: z.string().default('Gatehouse <no-reply@gatehouse.local>'),
  SENDGRID_API_KEY: optional,
  SENDGRID_BASE_URL: optionalUrl,
  MESSAGING_TIMEOUT_MS: int(10_000, 100, 120_000),
  OUTBOX_RETENTION_DAYS: int(30, 1, 3_650),
  EMAIL_TOKEN_HOURS: int(24, 1, 24 * 7),
  UNCONFIRMED_ACCOUNT_DAYS: int(7, 1, 365),
  SIGNIN_ATTEMPTS_PER_ACCOUNT: int(10, 1, 1_000_000),
  SIGNIN_ATTEMPTS_PER_IP: int(50, 1, 1_000_000),
  REGISTER_ATTEMPTS_PER_IP: int(10, 1, 1_000_000),
  REGISTER_ATTEMPTS_PER_ADDRESS: int(5, 1, 1_000_000),
  RESET_TOKEN_MINUTES: int(60, 5, 24 * 60),
  GOOGLE_CLIENT_ID: optional,
  GOOGLE_CLIENT_SECRET: optional,
  GOOGLE_AUTHORIZATION_URL: optionalUrl,
  GOOGLE_TOKEN_URL: optionalUrl,
  GOOGLE_USERINFO_URL: optionalUrl,
  ...twoFactorEnvShape,
});

export type Env = Record<string, string | undefined>;

export interface Config extends TwoFactorConfigPart {
  env: 'development' | 'production' | 'test';
  /** NODE_ENV=production: Secure cookies with `__Host-` names, no demo mode, no stack traces. */
  production: boolean;
  port: number;
  /** The product name on every page (title, navigation bar, sign-in cards). */
  appName: string;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  appBaseUrl: string;
  sessionSecret?: string;
  /** A session's idle timeout and absolute lifetime (docs/sessions.md). */
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** "Remember me" sessions: idle timeout and absolute lifetime (docs/sessions.md). */
  rememberMeIdleMs: number;
  rememberMeAbsoluteMs: number;
  trustProxy: number;
  logLevel: string;
  bodyLimit: string;
  demoMode: boolean;
  /** Demo mode on a non-loopback HOST, accepted with DEMO_MODE=on: the server warns loudly. */
  demoModeExposed: boolean;
  password: { minLength: number; maxLength: number; requireComposition: boolean };
  argon2MaxConcurrent: number;
  /** A password hash or check that would wait longer than this is refused with 503 (docs/rate-limits.md). */
  argon2MaxQueueWaitMs: number;
  email: { from: string; sendgridApiKey?: string; sendgridBaseUrl?: string };
  messagingTimeoutMs: number;
  /** Delivered and failed outbox rows are deleted after this long (docs/outbox.md). */
  outboxRetentionMs: number;
  /** How long an email confirmation link works. */
  emailTokenTtlMs: number;
  /** Housekeeping deletes accounts left unconfirmed this long (docs/unconfirmed-accounts.md). */
  unconfirmedAccountMaxAgeMs: number;
  /** Sign-in attempts allowed per 15 minutes (docs/rate-limits.md). */
  signInAttempts: { perAccount: number; perIp: number };
  /** Registrations allowed per hour (docs/rate-limits.md). */
  registerAttempts: { perIp: number; perAddress: number };
  /** How long a password reset link works. */
  resetTokenTtlMs: number;
  /** Google sign-in; undefined when GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are not both set. */
  google?: GoogleConfig;
}

export interface GoogleConfig {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  userInfoUrl: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// Checked on the raw values, so they are reported together with any other bad variable.
function missingInProduction(env: Env): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const blank = (value: string | undefined) => value === undefined || value.trim() === '';
  return (['SESSION_SECRET', 'APP_BASE_URL'] as const)
    .filter((name) => blank(env[name]))
    .map((name) => `${name}: required when NODE_ENV=production`);
}

export function loadConfig(env: Env): Config {
  const parsed = schema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`);
  problems.push(...missingInProduction(env), ...smsProviderProblems(env), ...unpairedGoogleProblems(env));
  if (!parsed.success) throw new ConfigError(problems);
  const v = parsed.data;
  const server = serverConfig(v);
  const twoFactor = twoFactorConfig(v);
  const demo = demoModeConfig(v, server, twoFactor);
  problems.push(...demoModeProblems({ production: server.production, host: server.host, forced: v.DEMO_MODE, demoMode: demo.demoMode }));
  if (problems.length) throw new ConfigError(problems);
  return {
    ...server,
    ...sessionConfig(v),
    ...demo,
    ...passwordConfig(v),
    ...messagingConfig(v),
    ...accountConfig(v),
    google: googleConfig(v),
    ...twoFactor,
  };
}

type Values = z.infer<typeof schema>;

function unpairedGoogleProblems(env: Env): string[] {
  const blank = (value: string | undefined) => value === undefined || value.trim() === '';
  if (blank(env.GOOGLE_CLIENT_ID) === blank(env.GOOGLE_CLIENT_SECRET)) return [];
  return ['GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET: set both to offer Google sign-in, or neither'];
}

type ServerConfig = Pick<
  Config,
  'env' | 'production' | 'port' | 'appName' | 'host' | 'dataDir' | 'databaseUrl' | 'appBaseUrl' | 'trustProxy' | 'logLevel' | 'bodyLimit'
>;

function serverConfig(v: Values): ServerConfig {
  const production = v.NODE_ENV === 'production';
  return {
    env: v.NODE_ENV,
    production,
    port: v.PORT,
    appName: v.APP_NAME ?? 'Gatehouse',
    // A development server is for this machine (issue 14.1); a production one, usually in a
    // container or behind a proxy, binds where it always did.
    host: v.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    dataDir: v.DATA_DIR,
    databaseUrl: v.DATABASE_URL,
    appBaseUrl: (v.APP_BASE_URL ?? `http://localhost:${v.PORT}`).replace(/\/+$/, ''),
    trustProxy: v.TRUST_PROXY,
    logLevel: v.LOG_LEVEL,
    bodyLimit: v.BODY_LIMIT,
  };
}

function sessionConfig(
  v: Values,
): Pick<Config, 'sessionSecret' | 'sessionIdleMs' | 'sessionAbsoluteMs' | 'rememberMeIdleMs' | 'rememberMeAbsoluteMs'> {
  return {
    sessionSecret: v.SESSION_SECRET,
    sessionIdleMs: v.SESSION_IDLE_MINUTES * MINUTE,
    sessionAbsoluteMs: v.SESSION_ABSOLUTE_HOURS * HOUR,
    rememberMeIdleMs: v.REMEMBER_ME_IDLE_DAYS * DAY,
    rememberMeAbsoluteMs: v.REMEMBER_ME_ABSOLUTE_DAYS * DAY,
  };
}

function demoModeConfig(v: Values, server: ServerConfig, twoFactor: TwoFactorConfigPart): Pick<Config, 'demoMode' | 'demoModeExposed'> {
  // Demo mode only when no email AND no SMS provider is configured, so a real code is never shown.
  const hasProviders = Boolean(v.SENDGRID_API_KEY) || twoFactor.sms.provider !== 'outbox';
  // Demo mode shows codes on screen: never in production (DEMO_MODE=on there is an error).
  const demoMode = server.production ? false : (v.DEMO_MODE ?? !hasProviders);
  return { demoMode, demoModeExposed: demoMode && !isLoopbackHost(server.host) };
}

function passwordConfig(v: Values): Pick<Config, 'password' | 'argon2MaxConcurrent' | 'argon2MaxQueueWaitMs'> {
  return {
    password: {
      minLength: v.PASSWORD_MIN_LENGTH,
      maxLength: v.PASSWORD_MAX_LENGTH,
      requireComposition: v.PASSWORD_REQUIRE_COMPOSITION,
    },
    argon2MaxConcurrent: v.ARGON2_MAX_CONCURRENT,
    argon2MaxQueueWaitMs: v.ARGON2_MAX_QUEUE_WAIT_MS,
  };
}

function messagingConfig(v: Values): Pick<Config, 'email' | 'messagingTimeoutMs' | 'outboxRetentionMs'> {
  return {
    email: { from: v.EMAIL_FROM, sendgridApiKey: v.SENDGRID_API_KEY, sendgridBaseUrl: v.SENDGRID_BASE_URL },
    messagingTimeoutMs: v.MESSAGING_TIMEOUT_MS,
    outboxRetentionMs: v.OUTBOX_RETENTION_DAYS * DAY,
  };
}

/** Token lifetimes, unconfirmed-account housekeeping and the sign-in and registration limits. */
function accountConfig(
  v: Values,
): Pick<Config, 'emailTokenTtlMs' | 'unconfirmedAccountMaxAgeMs' | 'signInAttempts' | 'registerAttempts' | 'resetTokenTtlMs'> {
  return {
    emailTokenTtlMs: v.EMAIL_TOKEN_HOURS * HOUR,
    unconfirmedAccountMaxAgeMs: v.UNCONFIRMED_ACCOUNT_DAYS * DAY,
    signInAttempts: { perAccount: v.SIGNIN_ATTEMPTS_PER_ACCOUNT, perIp: v.SIGNIN_ATTEMPTS_PER_IP },
    registerAttempts: { perIp: v.REGISTER_ATTEMPTS_PER_IP, perAddress: v.REGISTER_ATTEMPTS_PER_ADDRESS },
    resetTokenTtlMs: v.RESET_TOKEN_MINUTES * MINUTE,
  };
}

/** Google sign-in only when both the client id and secret are set. */
function googleConfig(v: Values): GoogleConfig | undefined {
  if (!v.GOOGLE_CLIENT_ID || !v.GOOGLE_CLIENT_SECRET) return undefined;
  return {
    clientId: v.GOOGLE_CLIENT_ID,
    clientSecret: v.GOOGLE_CLIENT_SECRET,
    authorizationUrl: v.GOOGLE_AUTHORIZATION_URL ?? 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: v.GOOGLE_TOKEN_URL ?? 'https://oauth2.googleapis.com/token',
    userInfoUrl: v.GOOGLE_USERINFO_URL ?? 'https://openidconnect.googleapis.com/v1/userinfo',
  };
}
