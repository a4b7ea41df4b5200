import type { Knex } from 'knex';

/** The whole data model of DESIGN.md §2, plus the single-use tokens and rate-limit counters. */
export async function up(knex: Knex): Promise<void> {
  // Case-insensitive email uniqueness: citext, so "A@x" and "a@x" can never both register.
  await knex.raw('CREATE EXTENSION IF NOT EXISTS citext');

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.specificType('user_name', 'citext').notNullable().unique();
    t.specificType('email', 'citext').notNullable().unique();
    t.boolean('email_confirmed').notNullable().defaultTo(false);
    t.text('password_hash');
    t.text('security_stamp').notNullable();
    t.text('phone_number');
    t.boolean('phone_number_confirmed').notNullable().defaultTo(false);
    t.boolean('two_factor_enabled').notNullable().defaultTo(false);
    t.boolean('lockout_enabled').notNullable().defaultTo(true);
    t.timestamp('lockout_end', { useTz: true });
    t.integer('access_failed_count').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check('access_failed_count >= 0', [], 'users_access_failed_count_check');
    t.check('length(security_stamp) >= 16', [], 'users_security_stamp_check');
  });

  await knex.schema.createTable('user_logins', (t) => {
    t.text('login_provider').notNullable();
    t.text('provider_key').notNullable();
    t.text('provider_display_name');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['login_provider', 'provider_key']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('roles', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.specificType('name', 'citext').notNullable().unique();
  });

  await knex.schema.createTable('user_roles', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('role_id').notNullable().references('roles.id').onDelete('CASCADE');
    t.primary(['user_id', 'role_id']);
    t.index(['role_id']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.text('sid').primary();
    t.uuid('user_id').references('users.id').onDelete('CASCADE');
    t.jsonb('data').notNullable();
    t.timestamp('expires', { useTz: true }).notNullable();
    t.index(['expires']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('remembered_browsers', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('token_hash').notNullable().unique();
    t.text('security_stamp').notNullable();
    t.text('user_agent');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['user_id']);
  });

  // Single-use secrets (email confirmation, password reset, one-time codes): only a keyed
  // hash is stored, bound to user, purpose, target and the security stamp at issue time.
  await knex.schema.createTable('user_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('purpose').notNullable();
    t.text('target');
    t.text('token_hash').notNullable();
    t.text('security_stamp').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('consumed_at', { useTz: true });
    t.index(['user_id', 'purpose']);
    t.index(['token_hash']);
  });

  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id');
    t.text('channel').notNullable();
    t.text('recipient').notNullable();
    t.text('subject');
    t.text('body').notNullable();
    // The code or link inside `body`; redacted from `body` once a real provider delivered it.
    t.text('secret');
    t.uuid('user_id').references('users.id').onDelete('SET NULL');
    t.text('purpose');
    t.text('provider').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('error');
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.check("status in ('pending','sending','sent','recorded','failed')", [], 'outbox_status_check');
    t.check("channel in ('email','sms')", [], 'outbox_channel_check');
    t.index(['status', 'next_attempt_at']);
    t.index(['recipient', 'created_at']);
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.uuid('user_id').references('users.id').onDelete('SET NULL');
    t.text('event_type').notNullable();
    t.text('ip');
    t.text('user_agent');
    t.jsonb('detail');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'created_at']);
    t.index(['event_type', 'created_at']);
  });

  // Fixed-window counters shared by every instance (one row per key and window).
  await knex.schema.createTable('rate_limits', (t) => {
    t.text('key').primary();
    t.integer('count').notNullable();
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'rate_limits',
    'audit_events',
    'outbox',
    'user_tokens',
    'remembered_browsers',
    'sessions',
    'user_roles',
    'roles',
    'user_logins',
    'users',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
