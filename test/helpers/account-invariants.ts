import type { Knex } from 'knex';
import { newSecurityStamp } from '../../src/db/stores/user-store.js';

const STAMP_LENGTH = newSecurityStamp().length;

/**
 * What a registration writes in one transaction: the user (with a full security stamp and an
 * argon2id hash), its confirmation token, the confirmation email in the outbox and the audit
 * event. Returns one line per account (or orphan row) that has only part of that, so a failed
 * expectation says exactly what is missing.
 */
export async function partlyWrittenAccounts(db: Knex): Promise<string[]> {
  const problems: string[] = [];
  const users = await db('users').select('id', 'email', 'security_stamp', 'password_hash');
  const countBy = async (table: string, where: Record<string, unknown>) => {
    const rows = await db(table).where(where).select('user_id');
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.user_id, (counts.get(r.user_id) ?? 0) + 1);
    return counts;
  };
  const tokens = await countBy('user_tokens', { purpose: 'EmailConfirmation' });
  const mails = await countBy('outbox', { purpose: 'EmailConfirmation' });
  const registered = await countBy('audit_events', { event_type: 'UserRegistered' });
  for (const u of users) {
    const missing = [
      typeof u.security_stamp === 'string' && u.security_stamp.length === STAMP_LENGTH
        ? ''
        : `security stamp ${JSON.stringify(u.security_stamp)}`,
      typeof u.password_hash === 'string' && u.password_hash.startsWith('$argon2id$') ? '' : 'password hash',
      tokens.get(u.id) ? '' : 'confirmation token',
      mails.get(u.id) ? '' : 'confirmation email',
      registered.get(u.id) === 1 ? '' : `UserRegistered audit events: ${registered.get(u.id) ?? 0}`,
    ].filter(Boolean);
    if (missing.length) problems.push(`${u.email}: ${missing.join(', ')}`);
  }
  for (const [userId, n] of [...tokens, ...mails, ...registered]) {
    if (userId === null) problems.push(`${n} registration row(s) with no user`);
  }
  return problems;
}

export async function emailsOfUsers(db: Knex): Promise<string[]> {
  return (await db('users').orderBy('email').select('email')).map((r) => r.email);
}
