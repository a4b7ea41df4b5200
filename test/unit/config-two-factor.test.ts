import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const twilio = { TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'token', TWILIO_FROM_NUMBER: '+15005550006' };
const aspsms = { ASPSMS_USER_KEY: 'key', ASPSMS_PASSWORD: 'pw', ASPSMS_ORIGINATOR: 'Gatehouse' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('two-factor configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config.sms.provider).toBe('outbox');
    expect(config.twoFactor).toMatchObject({
      codeTtlMs: 6 * 60_000,
      maxFailedAccessAttempts: 5,
      lockoutDurationsMs: [5, 15, 60, 240].map((m) => m * 60_000),
      rememberBrowserMs: 30 * 86_400_000,
      sendLimits: { perTargetPerHour: 5, perUserPerHour: 10, perIpPerHour: 30, intervalMs: 30_000 },
      allowedCountries: [],
    });
    expect(config.demoMode).toBe(true);
  });

  it('chooses Twilio or ASPSMS from their variables, and leaves demo mode', () => {
    const withTwilio = loadConfig({ ...twilio, TWILIO_BASE_URL: 'http://127.0.0.1:9' });
    expect(withTwilio.sms).toEqual({
      provider: 'twilio',
      twilio: { accountSid: 'AC123', authToken: 'token', fromNumber: '+15005550006', baseUrl: 'http://127.0.0.1:9' },
    });
    expect(withTwilio.demoMode).toBe(false);
    expect(loadConfig(aspsms).sms.provider).toBe('aspsms');
    expect(loadConfig(aspsms).demoMode).toBe(false);
    expect(loadConfig({ SENDGRID_API_KEY: 'SG.x' }).demoMode).toBe(false);
  });

  it('names every missing variable of a half-configured provider', () => {
    expect(problemsOf({ TWILIO_ACCOUNT_SID: 'AC123' })).toEqual([
      'TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set',
      'TWILIO_FROM_NUMBER: required when TWILIO_ACCOUNT_SID is set',
    ]);
    expect(problemsOf({ SMS_PROVIDER: 'aspsms' })).toEqual([
      'SMS_PROVIDER: aspsms needs ASPSMS_USER_KEY, ASPSMS_PASSWORD, ASPSMS_ORIGINATOR',
    ]);
  });

  it('reports a half-configured provider together with every other bad variable', () => {
    expect(problemsOf({ PORT: 'eighty', ASPSMS_USER_KEY: 'key', ASPSMS_PASSWORD: 'pw' })).toEqual([
      expect.stringMatching(/^PORT:/),
      'ASPSMS_ORIGINATOR: required when ASPSMS_USER_KEY, ASPSMS_PASSWORD is set',
    ]);
  });

  it('asks which provider to use when both are configured', () => {
    expect(problemsOf({ ...twilio, ...aspsms })).toEqual(['SMS_PROVIDER: both Twilio and ASPSMS are configured; set twilio or aspsms']);
    expect(loadConfig({ ...twilio, ...aspsms, SMS_PROVIDER: 'aspsms' }).sms.provider).toBe('aspsms');
  });

  it('never lets a code live longer than ten minutes', () => {
    expect(problemsOf({ TWO_FACTOR_CODE_MINUTES: '11' })[0]).toMatch(/^TWO_FACTOR_CODE_MINUTES:/);
    expect(loadConfig({ TWO_FACTOR_CODE_MINUTES: '10' }).twoFactor.codeTtlMs).toBe(600_000);
  });

  it('reads the country allowlist and refuses a malformed one', () => {
    expect(loadConfig({ PHONE_ALLOWED_COUNTRIES: 'ch, de,US' }).twoFactor.allowedCountries).toEqual(['CH', 'DE', 'US']);
    expect(problemsOf({ PHONE_ALLOWED_COUNTRIES: 'Switzerland' })[0]).toMatch(/^PHONE_ALLOWED_COUNTRIES:/);
  });

  it('reads LOCKOUT_MINUTES as a list of lockout lengths, or one number for every lockout', () => {
    expect(loadConfig({ LOCKOUT_MINUTES: '10, 30,120' }).twoFactor.lockoutDurationsMs).toEqual([10, 30, 120].map((m) => m * 60_000));
    expect(loadConfig({ LOCKOUT_MINUTES: '15' }).twoFactor.lockoutDurationsMs).toEqual([15 * 60_000]);
    for (const bad of ['5,,15', '0', 'five', '5;15', '-5', '1.5', '20000']) {
      expect(problemsOf({ LOCKOUT_MINUTES: bad }), bad).toEqual([expect.stringMatching(/^LOCKOUT_MINUTES: must be minutes/)]);
    }
  });
});
