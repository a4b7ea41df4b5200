import { describe, expect, it } from 'vitest';
import { checkPassword, type PasswordPolicyOptions } from '../../../src/identity/password-policy.js';

const policy: PasswordPolicyOptions = { minLength: 8, maxLength: 256, requireComposition: false };
const check = (password: string, options: Partial<PasswordPolicyOptions> = {}) => checkPassword(password, { ...policy, ...options });

describe('password policy', () => {
  it('accepts a long passphrase of plain words', () => {
    expect(check('correct horse battery staple')).toEqual([]);
  });

  it('needs at least the minimum length, and accepts exactly the minimum', () => {
    expect(check('xq7#kLm')).toEqual(['Passwords must be at least 8 characters.']);
    expect(check('xq7#kLm2')).toEqual([]);
    expect(check('', { minLength: 12 })).toEqual(['Passwords must be at least 12 characters.']);
  });

  it('allows up to the maximum length and refuses one more', () => {
    const base = 'abcdefghij'.repeat(26); // 260 characters, not a common password
    expect(check(base.slice(0, 256))).toEqual([]);
    expect(check(base.slice(0, 257))).toEqual(['Passwords must be at most 256 characters.']);
  });

  it('counts Unicode code points, so an emoji is one character', () => {
    expect('🔒'.repeat(7).length).toBe(14); // UTF-16 units would pass a naive check
    expect(check('🔒'.repeat(7))).toEqual(['Passwords must be at least 8 characters.']);
    expect(check('🔒'.repeat(8))).toEqual([]);
    expect(check('🔒'.repeat(64), { maxLength: 64 })).toEqual([]);
    expect(check('🔒'.repeat(65), { maxLength: 64 })).toEqual(['Passwords must be at most 64 characters.']);
  });

  it('rejects common passwords in any case', () => {
    for (const common of ['password', 'PASSWORD', 'Password1', '12345678', 'iloveyou', 'Trustno1', 'p@ssw0rd', 'qwertyuiop']) {
      expect(check(common), common).toEqual(['This password is too common. Choose one that is harder to guess.']);
    }
  });

  it('reports only the length problem for a short common password', () => {
    expect(check('123456')).toEqual(['Passwords must be at least 8 characters.']);
  });

  it('asks for no composition by default (NIST), and for each missing class when enabled', () => {
    expect(check('alllowercaseletters')).toEqual([]);
    expect(check('alllowercaseletters', { requireComposition: true })).toEqual([
      "Passwords must have at least one uppercase ('A'-'Z').",
      "Passwords must have at least one digit ('0'-'9').",
      'Passwords must have at least one non letter or digit character.',
    ]);
    expect(check('ALLUPPER 2024', { requireComposition: true })).toEqual(["Passwords must have at least one lowercase ('a'-'z')."]);
    expect(check('Mixed-case 42', { requireComposition: true })).toEqual([]);
  });

  it('keeps leading and trailing spaces: they count, and are not trimmed away', () => {
    expect(check('   abc  ')).toEqual([]); // 8 characters, spaces included
    expect(check('  abc  ')).toEqual(['Passwords must be at least 8 characters.']);
    // " password " is not the common "password": nothing was trimmed before the check.
    expect(check(' password ')).toEqual([]);
  });
});
