import os from 'node:os';
import argon2 from 'argon2';
import { Semaphore } from './semaphore.js';

/** OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a malformed hash; never throws for either. */
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the same work as a real verification, for unknown users (no timing oracle). */
  verifyDummy(password: string): Promise<void>;
}

/**
 * argon2 runs in libuv's thread pool, so it never blocks the event loop. The semaphore bounds
 * hashes in flight (19 MiB each) to the number of cores: more would only queue inside libuv
 * while holding memory, and would starve the pool that file and DNS work also use.
 */
export function createPasswordHasher(maxConcurrent = 0): PasswordHasher {
  const semaphore = new Semaphore(maxConcurrent > 0 ? maxConcurrent : os.availableParallelism());
  let dummyHash: Promise<string> | undefined;
  const hash = (password: string) => semaphore.run(() => argon2.hash(password, ARGON2_OPTIONS));
  const verify = async (stored: string, password: string) => {
    try {
      return await semaphore.run(() => argon2.verify(stored, password));
    } catch {
      return false;
    }
  };
  const hasher: PasswordHasher = {
    hash,
    verify,
    async verifyDummy(password) {
      dummyHash ??= hash('gatehouse-dummy-password-for-unknown-users');
      // Through hasher.verify, the very path a real verification takes.
      await hasher.verify(await dummyHash, password);
    },
  };
  return hasher;
}
