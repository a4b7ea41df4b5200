import { emailLimitKey } from './email-address.js';
import { hmac } from './secret-keys.js';
import type { User } from '../db/stores/user-store.js';

export interface AccountLimitKeyDeps {
  keys: { tokenHash: Buffer };
  users: { findByEmail(email: string): Promise<User | undefined> };
}

/**
 * A limiter key for attempts on one address: a keyed hash of its normal form (every spelling
 * the database treats as one account shares it), so the table holds no addresses.
 */
export const addressKey = (key: Buffer, purpose: string, email: string) =>
  hmac(key, purpose, emailLimitKey(email)).toString('base64url').slice(0, 32);

/**
 * The limiter keys for attempts on one account, given an address normaliseEmail accepted:
 * its normal form (whether or not it has an account, so a limit says nothing about which
 * addresses do), and, once the address names an account, the user id as well. The id catches
 * whatever else the database's case folding merges (another locale or collation), so no
 * spelling of an account ever gets a fresh budget. A hit counts on every key; any one refuses.
 */
export async function accountLimitKeys(deps: AccountLimitKeyDeps, prefix: string, email: string): Promise<string[]> {
  return limitKeysFor(deps.keys.tokenHash, prefix, email, await deps.users.findByEmail(email));
}

/** The same keys when the caller has already looked the account up. */
export function limitKeysFor(key: Buffer, prefix: string, email: string, user: Pick<User, 'id'> | undefined): string[] {
  const address = `${prefix}:address:${addressKey(key, prefix, email)}`;
  return user ? [address, `${prefix}:user:${user.id}`] : [address];
}
