import { expect } from 'vitest';
import { ConfigError, loadConfig, type Env } from '../../src/config.js';

/** The least a production environment must set. */
export const production: Env = {
  NODE_ENV: 'production',
  SESSION_SECRET: 'a-production-secret-of-at-least-32-chars',
  APP_BASE_URL: 'https://gatehouse.example/',
};

/** The problems `loadConfig` reports for an environment it must refuse. */
export function problemsOf(env: Env): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}
