/**
 * Better Auth as a Gatehouse user would set it up instead: email and password, its own tables
 * in its own database on the same Postgres server (a `pg` Pool), argon2id with Gatehouse's
 * parameters, the rate limit off (the load signs in from one address as fast as it can).
 * Shared by the app under test (bench/better-auth-app.ts) and the runner, which creates the
 * schema and seeds the users through this same configuration.
 */
import crypto from 'node:crypto';
import argon2 from 'argon2';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import pg from 'pg';
import { ARGON2_OPTIONS } from '../src/identity/password-hasher.js';

export function createBetterAuth(databaseUrl: string, secret: string, baseURL: string) {
  return betterAuth({
    database: new pg.Pool({ connectionString: databaseUrl, max: 10 }),
    secret,
    baseURL,
    telemetry: { enabled: false },
    rateLimit: { enabled: false },
    emailAndPassword: {
      enabled: true,
      password: {
        hash: (password) => argon2.hash(password, ARGON2_OPTIONS),
        verify: ({ hash, password }) => argon2.verify(hash, password),
      },
    },
    // Secure cookies as deployed behind TLS (the load sends them over plain http on loopback).
    advanced: { useSecureCookies: true },
  });
}

export type BenchBetterAuth = ReturnType<typeof createBetterAuth>;

/** Creates Better Auth's tables and signs the users up through its own API. */
export async function seedBetterAuth(databaseUrl: string, emails: string[], password: string): Promise<void> {
  const auth = createBetterAuth(databaseUrl, crypto.randomBytes(32).toString('base64url'), 'https://127.0.0.1');
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  for (const email of emails) await auth.api.signUpEmail({ body: { email, password, name: email } });
  await (auth.options.database as pg.Pool).end();
}
