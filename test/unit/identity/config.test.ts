import { describe, expect, it } from 'vitest';
import { problemsOf, production } from '../../helpers/config.js';
import { loadConfig } from '../../../src/config.js';

// Lives with the identity tests because it sets the password policy and demo mode.
describe('configuration', () => {
  it('runs locally with no variables at all, on safe defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      host: '127.0.0.1',
      dataDir: './.data',
      databaseUrl: undefined,
      appBaseUrl: 'http://localhost:3000',
      demoMode: true,
      password: { minLength: 8, maxLength: 256, requireComposition: false },
      emailTokenTtlMs: 24 * 3_600_000,
    });
  });

  it('treats blank values as unset and trims the base URL’s trailing slash', () => {
    const config = loadConfig({ DATABASE_URL: '  ', SESSION_SECRET: '', APP_BASE_URL: 'https://x.example//' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.sessionSecret).toBeUndefined();
    expect(config.appBaseUrl).toBe('https://x.example');
  });

  it('names PORT when it is not a port number', () => {
    for (const PORT of ['abc', '70000', '-1', '3.5']) {
      const problems = problemsOf({ PORT });
      expect(problems, PORT).toHaveLength(1);
      expect(problems[0]).toMatch(/^PORT: /);
    }
  });

  it('refuses to run in production without SESSION_SECRET and APP_BASE_URL', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'SESSION_SECRET: required when NODE_ENV=production',
      'APP_BASE_URL: required when NODE_ENV=production',
    ]);
    expect(problemsOf({ ...production, SESSION_SECRET: '  ' })).toEqual(['SESSION_SECRET: required when NODE_ENV=production']);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({
      PORT: 'x',
      DATABASE_URL: 'mysql://db/app',
      SESSION_SECRET: 'short',
      LOG_LEVEL: 'loud',
      PASSWORD_MIN_LENGTH: '4',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'LOG_LEVEL',
      'PASSWORD_MIN_LENGTH',
      'PORT',
      'SESSION_SECRET',
    ]);
  });

  it('reports the production requirements together with other bad variables', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'x' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['APP_BASE_URL', 'PORT', 'SESSION_SECRET']);
  });

  it('never repeats a secret’s value in the error', () => {
    const message = problemsOf({ SESSION_SECRET: 'hunter2-is-my-secret' }).join('\n');
    expect(message).toMatch(/SESSION_SECRET/);
    expect(message).not.toContain('hunter2');
  });

  it('keeps demo mode off in production (forcing it on there is refused: test/unit/config-demo-mode.test.ts)', () => {
    expect(loadConfig(production).demoMode).toBe(false);
    expect(loadConfig({ SENDGRID_API_KEY: 'SG.key' }).demoMode).toBe(false);
    expect(loadConfig({ DEMO_MODE: 'false' }).demoMode).toBe(false);
  });
});
