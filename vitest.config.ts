import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The few tests that assert on wall-clock time because their issue asks for it (a sign-in
 * during a registration flood in under 1 s; equal answer times for every address). They run
 * after the rest, one file at a time (vitest.timing.config.ts), so that the other test files'
 * load on the machine cannot make them fail.
 */
export const TIMING_FILES = ['test/security/d-registration-flood.test.ts', 'test/security/i-enumeration.test.ts'];

export const shared = {
  reporters: ['default', './test/helpers/summary-reporter.ts'],
  globalSetup: ['test/helpers/global-setup.ts'],
  // Each file builds its own database (a PGlite snapshot or a Postgres database from a
  // template), so files run in parallel; argon2 and PGlite make them CPU-bound on 2 cores.
  pool: 'forks' as const,
  testTimeout: 30_000,
  hookTimeout: 60_000,
  teardownTimeout: 30_000,
};

export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...TIMING_FILES],
  },
});
