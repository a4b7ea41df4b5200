import type { Knex } from 'knex';

/**
 * Issue 14, items 7 and 9.
 * - outbox.secret_expires_at: when the code or link in a row stops working. Housekeeping
 *   redacts the row's secret then (docs/outbox.md); until then demo mode can still show it.
 * - users.lockout_series: how many two-factor lockouts in a row the account has had since its
 *   last complete sign-in; each lockout lasts longer (docs/two-factor.md).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('outbox', (t) => {
    t.timestamp('secret_expires_at', { useTz: true });
    t.index(['created_at'], 'outbox_created_at_index');
  });
  // Only rows that still hold a secret are ever looked up by expiry.
  await knex.raw('CREATE INDEX outbox_secret_expires_at_index ON outbox (secret_expires_at) WHERE secret IS NOT NULL');
  await knex.schema.alterTable('users', (t) => {
    t.integer('lockout_series').notNullable().defaultTo(0);
    t.check('lockout_series >= 0', [], 'users_lockout_series_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropChecks(['users_lockout_series_check']);
    t.dropColumn('lockout_series');
  });
  await knex.raw('DROP INDEX IF EXISTS outbox_secret_expires_at_index');
  await knex.schema.alterTable('outbox', (t) => {
    t.dropIndex(['created_at'], 'outbox_created_at_index');
    t.dropColumn('secret_expires_at');
  });
}
