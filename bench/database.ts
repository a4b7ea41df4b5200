import knex from 'knex';
import { createServices } from '../src/composition.js';
import { loadConfig } from '../src/config.js';

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const admin = knex({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(sql);
  } finally {
    await admin.destroy();
  }
}

/** The bench's own database, empty: dropped and made again on every run. */
export async function recreateDatabase(adminUrl: string, name: string): Promise<string> {
  await dropDatabase(adminUrl, name);
  await onServer(adminUrl, `CREATE DATABASE "${name}"`);
  return withDatabaseName(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await onServer(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/**
 * Migrates the database and creates confirmed users through Gatehouse's own UserManager, so
 * their hashes have exactly the parameters a real sign-up would give them.
 */
export async function seedUsers(databaseUrl: string, emails: string[], password: string): Promise<void> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', SESSION_SECRET: 'x'.repeat(32) });
  const services = await createServices(config);
  try {
    const results = await Promise.all(emails.map((email) => services.users.createUser({ email, password, emailConfirmed: true })));
    const failed = results.find((r) => !r.succeeded);
    if (failed && !failed.succeeded) throw new Error(`seeding users failed: ${failed.errors.join(' ')}`);
  } finally {
    await services.close();
  }
}
