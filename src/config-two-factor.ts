import { z } from 'zod';
import { DAY, int, MINUTE, optional, optionalUrl, SECOND } from './config-values.js';

/**
 * The two-factor part of the configuration: SMS providers, code lifetime, lockout, sending
 * limits and "remember this browser". `config.ts` merges the schema and calls
 * `twoFactorConfig`; this file only describes and checks values, it reads no environment.
 */

const countryList = optional.pipe(
  z
    .string()
    .regex(/^[A-Za-z]{2}(\s*,\s*[A-Za-z]{2})*$/, 'must be ISO country codes separated by commas, e.g. CH,DE,US')
    .optional(),
);

/**
 * LOCKOUT_MINUTES: the length of each two-factor lockout in a row, in minutes, separated by
 * commas ("5,15,60,240"); past the end the last one repeats. A single number (the older form)
 * is every lockout's length.
 */
const lockoutMinutes = z
  .string()
  .default('5,15,60,240')
  .transform((v, ctx) => {
    const parts = v.split(',').map((p) => p.trim());
    const minutes = parts.map(Number);
    const bad = parts.some((p) => !/^\d+$/.test(p)) || minutes.some((m) => m < 1 || m > 7 * 24 * 60);
    if (bad || minutes.length > 20) {
      ctx.addIssue({ code: 'custom', message: 'must be minutes (1 to 10080) separated by commas, e.g. 5,15,60,240' });
      return z.NEVER;
    }
    return minutes;
  });

export const twoFactorEnvShape = {
  SMS_PROVIDER: optional.pipe(z.enum(['twilio', 'aspsms', 'outbox']).optional()),
  TWILIO_ACCOUNT_SID: optional,
  TWILIO_AUTH_TOKEN: optional,
  TWILIO_FROM_NUMBER: optional,
  TWILIO_BASE_URL: optionalUrl,
  // USD; Twilio refuses a message that would cost more (SMS pumping to premium routes).
  TWILIO_MAX_PRICE: optional.pipe(z.coerce.number<string | undefined>().positive().max(100).optional()),
  ASPSMS_USER_KEY: optional,
  ASPSMS_PASSWORD: optional,
  ASPSMS_ORIGINATOR: optional,
  ASPSMS_BASE_URL: optionalUrl,
  // The seed's codes live 9-15 minutes; ours about 6 (the tutorial's figure), never over 10.
  TWO_FACTOR_CODE_MINUTES: int(6, 1, 10),
  LOCKOUT_MAX_FAILED_ACCESS_ATTEMPTS: int(5, 1, 100),
  LOCKOUT_MINUTES: lockoutMinutes,
  REMEMBER_BROWSER_DAYS: int(30, 1, 365),
  CODE_SEND_PER_TARGET_PER_HOUR: int(5, 1, 10_000),
  CODE_SEND_PER_USER_PER_HOUR: int(10, 1, 10_000),
  CODE_SEND_PER_IP_PER_HOUR: int(30, 1, 1_000_000),
  CODE_SEND_INTERVAL_SECONDS: int(30, 0, 3_600),
  PHONE_ALLOWED_COUNTRIES: countryList,
};

type TwoFactorEnv = z.output<z.ZodObject<typeof twoFactorEnvShape>>;

export type SmsProviderName = 'twilio' | 'aspsms' | 'outbox';

export interface SendLimits {
  perTargetPerHour: number;
  perUserPerHour: number;
  perIpPerHour: number;
  /** Minimum time between two codes to one number or address, and to one user (0 = none). */
  intervalMs: number;
}

export interface TwoFactorConfigPart {
  sms: {
    provider: SmsProviderName;
    twilio?: { accountSid: string; authToken: string; fromNumber: string; baseUrl?: string; maxPrice?: number };
    aspsms?: { userKey: string; password: string; originator: string; baseUrl?: string };
  };
  twoFactor: {
    codeTtlMs: number;
    maxFailedAccessAttempts: number;
    /** How long the 1st, 2nd, ... two-factor lockout in a row lasts; the last one repeats. */
    lockoutDurationsMs: number[];
    rememberBrowserMs: number;
    sendLimits: SendLimits;
    /** ISO country codes phone numbers may belong to; empty = any country. */
    allowedCountries: string[];
  };
}

const TWILIO_VARS = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'] as const;
const ASPSMS_VARS = ['ASPSMS_USER_KEY', 'ASPSMS_PASSWORD', 'ASPSMS_ORIGINATOR'] as const;

type RawEnv = Record<string, string | undefined>;
const isSet = (env: RawEnv, name: string) => (env[name] ?? '').trim() !== '';
const allSet = (env: RawEnv, names: readonly string[]) => names.every((n) => isSet(env, n));

/** A half-configured provider is reported, never silently replaced by the outbox. */
function missingOf(env: RawEnv, names: readonly string[]): string[] {
  const given = names.filter((n) => isSet(env, n));
  if (given.length === 0 || given.length === names.length) return [];
  return names.filter((n) => !isSet(env, n)).map((n) => `${n}: required when ${given.join(', ')} is set`);
}

/**
 * Checked on the raw environment, so these problems are reported together with every other
 * bad variable (config.ts collects them all before refusing to start).
 */
export function smsProviderProblems(env: RawEnv): string[] {
  const problems = [...missingOf(env, TWILIO_VARS), ...missingOf(env, ASPSMS_VARS)];
  const chosen = (env.SMS_PROVIDER ?? '').trim();
  if (chosen === 'twilio' && !allSet(env, TWILIO_VARS)) problems.push(`SMS_PROVIDER: twilio needs ${TWILIO_VARS.join(', ')}`);
  if (chosen === 'aspsms' && !allSet(env, ASPSMS_VARS)) problems.push(`SMS_PROVIDER: aspsms needs ${ASPSMS_VARS.join(', ')}`);
  if (!chosen && allSet(env, TWILIO_VARS) && allSet(env, ASPSMS_VARS)) {
    problems.push('SMS_PROVIDER: both Twilio and ASPSMS are configured; set twilio or aspsms');
  }
  return problems;
}

function chooseSmsProvider(v: TwoFactorEnv): SmsProviderName {
  if (v.SMS_PROVIDER) return v.SMS_PROVIDER;
  const env = v as unknown as RawEnv;
  return allSet(env, TWILIO_VARS) ? 'twilio' : allSet(env, ASPSMS_VARS) ? 'aspsms' : 'outbox';
}

/** The two-factor settings from validated values (after `smsProviderProblems` found none). */
export function twoFactorConfig(v: TwoFactorEnv): TwoFactorConfigPart {
  const provider = chooseSmsProvider(v);
  return {
    sms: {
      provider,
      twilio:
        provider === 'twilio'
          ? {
              accountSid: v.TWILIO_ACCOUNT_SID!,
              authToken: v.TWILIO_AUTH_TOKEN!,
              fromNumber: v.TWILIO_FROM_NUMBER!,
              baseUrl: v.TWILIO_BASE_URL,
              maxPrice: v.TWILIO_MAX_PRICE,
            }
          : undefined,
      aspsms:
        provider === 'aspsms'
          ? { userKey: v.ASPSMS_USER_KEY!, password: v.ASPSMS_PASSWORD!, originator: v.ASPSMS_ORIGINATOR!, baseUrl: v.ASPSMS_BASE_URL }
          : undefined,
    },
    twoFactor: {
      codeTtlMs: v.TWO_FACTOR_CODE_MINUTES * MINUTE,
      maxFailedAccessAttempts: v.LOCKOUT_MAX_FAILED_ACCESS_ATTEMPTS,
      lockoutDurationsMs: v.LOCKOUT_MINUTES.map((m) => m * MINUTE),
      rememberBrowserMs: v.REMEMBER_BROWSER_DAYS * DAY,
      sendLimits: {
        perTargetPerHour: v.CODE_SEND_PER_TARGET_PER_HOUR,
        perUserPerHour: v.CODE_SEND_PER_USER_PER_HOUR,
        perIpPerHour: v.CODE_SEND_PER_IP_PER_HOUR,
        intervalMs: v.CODE_SEND_INTERVAL_SECONDS * SECOND,
      },
      allowedCountries: (v.PHONE_ALLOWED_COUNTRIES ?? '')
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean),
    },
  };
}
