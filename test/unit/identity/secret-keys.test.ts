import { describe, expect, it } from 'vitest';
import { deriveSecretKeys, hmac, safeEqual } from '../../../src/identity/secret-keys.js';

describe('safeEqual', () => {
  it('is true for equal secrets, as strings or buffers', () => {
    expect(safeEqual('same-secret', 'same-secret')).toBe(true);
    expect(safeEqual(Buffer.from('same-secret'), 'same-secret')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
  });

  it('is false for different secrets of the same length', () => {
    expect(safeEqual('secret-a', 'secret-b')).toBe(false);
  });

  it('is false, and does not throw, for different lengths (a prefix is not a match)', () => {
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('abcd', 'abc')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
    expect(safeEqual(Buffer.alloc(0), Buffer.alloc(64))).toBe(false);
  });
});

describe('hmac', () => {
  const key = Buffer.alloc(32, 7);

  it('is a 32-byte HMAC-SHA256, the same for the same key and parts', () => {
    expect(hmac(key, 'a', 'b')).toHaveLength(32);
    expect(hmac(key, 'a', 'b').equals(hmac(key, 'a', 'b'))).toBe(true);
  });

  it('depends on the key', () => {
    expect(hmac(key, 'a').equals(hmac(Buffer.alloc(32, 8), 'a'))).toBe(false);
  });

  it('length-prefixes each part, so moving a boundary changes the result', () => {
    const pairs: Array<[string[], string[]]> = [
      [
        ['ab', 'c'],
        ['a', 'bc'],
      ],
      [
        ['a|', 'b'],
        ['a', '|b'],
      ],
      [
        ['1:a|', ''],
        ['1:a', '|'],
      ],
      [
        ['', 'x'],
        ['x', ''],
      ],
      [['x'], ['x', '']],
      [
        ['é', 'e'],
        ['ée', ''],
      ],
    ];
    for (const [left, right] of pairs) {
      expect(hmac(key, ...left).equals(hmac(key, ...right)), `${left} vs ${right}`).toBe(false);
    }
  });
});

describe('deriveSecretKeys', () => {
  it('derives the same keys from the same secret, and different keys for each job', () => {
    const a = deriveSecretKeys('application-secret-application-secret');
    const b = deriveSecretKeys('application-secret-application-secret');
    expect(a.sessionCookie).toBe(b.sessionCookie);
    expect(a.tokenHash.equals(b.tokenHash)).toBe(true);
    expect(a.sessionCookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.tokenHash).toHaveLength(32);
    expect(a.tokenHash.equals(a.rememberBrowser)).toBe(false);
    expect(Buffer.from(a.sessionCookie, 'base64url').equals(a.tokenHash)).toBe(false);
  });

  it('derives different keys from a different secret', () => {
    const a = deriveSecretKeys('application-secret-application-secret');
    const c = deriveSecretKeys('another-secret-another-secret-another');
    expect(a.tokenHash.equals(c.tokenHash)).toBe(false);
    expect(a.sessionCookie).not.toBe(c.sessionCookie);
  });
});
