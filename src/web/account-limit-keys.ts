import type { UserManager } from '../identity/user-manager.js';
import { addressKey } from './rate-limits.js';

export interface AccountLimitKeyDeps {
  keys: { tokenHash: Buffer };
  users: Pick<UserManager, 'findByEmail'>;
}

/**
 * The limiter keys for attempts on one account, given an address normaliseEmail accepted:
 * its normal form (whether or not it has an account, so a limit says nothing about which
 * addresses do), and, once the address names an account, the user id as well. The id catches
 * whatever else the database's case folding merges (another locale or collation), so no
 * spelling of an account ever gets a fresh budget. A hit counts on every key; any one refuses.
 */
export async function accountLimitKeys(deps: AccountLimitKeyDeps, prefix: string, email: string): Promise<string[]> {
  const user = await deps.users.findByEmail(email);
  const address = `${prefix}:address:${addressKey(deps.keys.tokenHash, prefix, email)}`;
  return user ? [address, `${prefix}:user:${user.id}`] : [address];
}
