import os from 'node:os';
import argon2 from 'argon2';
import { QueueFullError, Semaphore, type Priority } from './semaphore.js';

/** OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * The hashing queue is full: the request is refused at once (the web layer answers 503 with
 * Retry-After) rather than waiting behind a flood. Nothing was hashed, nothing was written.
 */
export class PasswordHasherBusyError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('password hashing is busy');
    this.name = 'PasswordHasherBusyError';
  }
}

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
 *
 * Checks of a password (sign-in) go before new hashes (registration, new passwords), so a flood
 * of registrations, even from many addresses, cannot make sign-ins wait behind it; and a job
 * that would wait longer than `maxQueueWaitMs` is refused at once (docs/rate-limits.md).
 */
export function createPasswordHasher(maxConcurrent = 0, options: { maxQueueWaitMs?: number } = {}): PasswordHasher {
  const semaphore = new Semaphore(maxConcurrent > 0 ? maxConcurrent : os.availableParallelism(), { maxWaitMs: options.maxQueueWaitMs });
  const queued = async <T>(job: () => Promise<T>, priority: Priority) => {
    try {
      return await semaphore.run(job, priority);
    } catch (err) {
      if (err instanceof QueueFullError) throw new PasswordHasherBusyError(Math.max(1, Math.ceil(err.expectedWaitMs / 1000)));
      throw err;
    }
  };
  let dummyHash: Promise<string> | undefined;
  const hash = (password: string) => queued(() => argon2.hash(password, ARGON2_OPTIONS), 'normal');
  // A malformed hash is a wrong password; a full queue is not (it reaches the caller).
  const verify = (stored: string, password: string) =>
    queued(async () => {
      try {
        return await argon2.verify(stored, password);
      } catch {
        return false;
      }
    }, 'urgent');
  const hasher: PasswordHasher = {
    hash,
    verify,
    async verifyDummy(password) {
      // Made once, with a check's priority: an unknown user must never cost less than a known one.
      dummyHash ??= queued(() => argon2.hash('gatehouse-dummy-password-for-unknown-users', ARGON2_OPTIONS), 'urgent').catch((err) => {
        dummyHash = undefined; // refused while busy: make it next time
        throw err;
      });
      // Through hasher.verify, the very path a real verification takes.
      await hasher.verify(await dummyHash, password);
    },
  };
  return hasher;
}
