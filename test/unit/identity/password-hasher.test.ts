import argon2 from 'argon2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPasswordHasher } from '../../../src/identity/password-hasher.js';

const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

describe('password hasher', () => {
  const hasher = createPasswordHasher(2);

  it('produces an argon2id PHC string with m=19456, t=2, p=1 and a fresh salt each time', async () => {
    const [a, b] = await Promise.all([hasher.hash('correct horse'), hasher.hash('correct horse')]);
    expect(a).toMatch(PHC);
    expect(b).toMatch(PHC);
    expect(a).not.toBe(b);
  });

  it('verifies the right password and refuses a wrong one, spaces and case included', async () => {
    const hash = await hasher.hash(' Correct horse ');
    expect(await hasher.verify(hash, ' Correct horse ')).toBe(true);
    expect(await hasher.verify(hash, 'Correct horse')).toBe(false);
    expect(await hasher.verify(hash, ' correct horse ')).toBe(false);
    expect(await hasher.verify(hash, '')).toBe(false);
  });

  it('answers false for a malformed hash instead of throwing', async () => {
    for (const bad of ['', 'not-a-hash', '$argon2id$v=19$m=19456,t=2,p=1$bad', '$2b$10$abcdefghijklmnopqrstuu', '$argon2id$']) {
      await expect(hasher.verify(bad, 'password'), bad).resolves.toBe(false);
    }
  });

  it('spends a verification on unknown users without throwing', async () => {
    await expect(hasher.verifyDummy('anything')).resolves.toBeUndefined();
  });
});

describe('password hasher concurrency', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Wraps the real argon2 calls to record how many run at the same moment. */
  function instrument() {
    const realHash = argon2.hash.bind(argon2);
    const realVerify = argon2.verify.bind(argon2);
    const seen = { inFlight: 0, max: 0, calls: 0 };
    const track = async <T>(work: () => Promise<T>) => {
      seen.calls++;
      seen.max = Math.max(seen.max, ++seen.inFlight);
      try {
        return await work();
      } finally {
        seen.inFlight--;
      }
    };
    vi.spyOn(argon2, 'hash').mockImplementation(((password: string, options: object) =>
      track(() => realHash(password, options as never))) as typeof argon2.hash);
    vi.spyOn(argon2, 'verify').mockImplementation((hash, password) => track(() => realVerify(hash, password)));
    return seen;
  }

  it('with maxConcurrent 1, never runs two argon2 operations at once', async () => {
    const seen = instrument();
    const hasher = createPasswordHasher(1);
    const hashes = await Promise.all([hasher.hash('one one one'), hasher.hash('two two two'), hasher.hash('three three')]);
    await Promise.all([hasher.verify(hashes[0], 'one one one'), hasher.verify(hashes[1], 'wrong'), hasher.hash('four four')]);
    expect(seen.calls).toBe(6);
    expect(seen.max).toBe(1);
  });

  it('with maxConcurrent 2, runs two at once (the instrument does see overlap)', async () => {
    const seen = instrument();
    const hasher = createPasswordHasher(2);
    await Promise.all([hasher.hash('one one one'), hasher.hash('two two two'), hasher.hash('three three'), hasher.hash('four four')]);
    expect(seen.max).toBe(2);
  });

  it('frees its slot when argon2 rejects, so later work still runs', async () => {
    const hasher = createPasswordHasher(1);
    vi.spyOn(argon2, 'verify').mockRejectedValueOnce(new Error('boom'));
    expect(await hasher.verify('$argon2id$whatever', 'pw')).toBe(false);
    vi.restoreAllMocks();
    const hash = await hasher.hash('after the failure');
    expect(await hasher.verify(hash, 'after the failure')).toBe(true);
  });
});
