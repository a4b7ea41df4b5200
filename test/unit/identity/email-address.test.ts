import { describe, expect, it } from 'vitest';
import { emailLimitKey, normaliseEmail } from '../../../src/identity/email-address.js';

describe('email normalisation', () => {
  it('accepts ordinary addresses and keeps their case', () => {
    expect(normaliseEmail('ada@example.com')).toBe('ada@example.com');
    expect(normaliseEmail('Ada.Lovelace+tag@Example.co.uk')).toBe('Ada.Lovelace+tag@Example.co.uk');
  });

  it('trims surrounding spaces', () => {
    expect(normaliseEmail('  ada@example.com \t')).toBe('ada@example.com');
  });

  it('accepts Unicode local parts and IDN domains, in NFC form', () => {
    expect(normaliseEmail('josé@exämple.ch')).toBe('josé@exämple.ch');
    expect(normaliseEmail('用户@例え.jp')).toBe('用户@例え.jp');
    const decomposed = 'jose\u0301@example.com';
    expect(normaliseEmail(decomposed)).toBe('jos\u00e9@example.com');
  });

  it('refuses what is not an address', () => {
    const invalid = [
      '',
      '   ',
      'ada',
      'ada@',
      '@example.com',
      'ada@example',
      'ada@example.c',
      'ada@@example.com',
      'a@b@example.com',
      'a da@example.com',
      'ada@exa mple.com',
      'ada@example..com',
      'ada@.example.com',
      'ada@example.com.',
      'ada\n@example.com',
      'ada@example.com\r\nBcc: victim@example.com',
      'ada\u0000@example.com',
    ];
    for (const value of invalid) expect(normaliseEmail(value), JSON.stringify(value)).toBeUndefined();
  });

  it('refuses invisible and direction-changing characters that make two addresses look alike', () => {
    for (const value of ['ad\u200bmin@example.com', 'admin\u202e@example.com', 'ad\ufeffmin@example.com', 'ad\u00admin@example.com']) {
      expect(normaliseEmail(value), JSON.stringify(value)).toBeUndefined();
    }
  });

  it('refuses anything that is not a string', () => {
    for (const value of [undefined, null, 42, ['ada@example.com'], { email: 'ada@example.com' }]) {
      expect(normaliseEmail(value)).toBeUndefined();
    }
  });

  it('allows 254 characters (RFC 5321) and refuses 255', () => {
    const domain = '@example.com';
    expect(normaliseEmail(`${'a'.repeat(254 - domain.length)}${domain}`)).toHaveLength(254);
    expect(normaliseEmail(`${'a'.repeat(255 - domain.length)}${domain}`)).toBeUndefined();
  });
});

describe('emailLimitKey', () => {
  it('merges every spelling the database folds together, and fullwidth letters', () => {
    const key = emailLimitKey('irina@example.com');
    for (const spelling of [
      'IRINA@EXAMPLE.COM',
      '\u0130rina@example.com',
      'ir\u0130na@example.com',
      '\u0130R\u0130NA@example.com',
      '\uff49\uff52\uff49\uff4e\uff41@example.com',
    ]) {
      expect(emailLimitKey(spelling), spelling).toBe(key);
    }
    expect(emailLimitKey('\u212Aate@example.com')).toBe('kate@example.com');
  });

  it('lowers a capital sigma the way the database does, whatever its position', () => {
    expect(emailLimitKey('\u0391\u03a3@example.com')).toBe('\u03b1\u03c3@example.com');
  });

  it('keeps letters the database keeps apart apart (dotless i, final sigma)', () => {
    expect(emailLimitKey('\u0131rina@example.com')).not.toBe(emailLimitKey('irina@example.com'));
    expect(emailLimitKey('\u03b1\u03c2@example.com')).not.toBe(emailLimitKey('\u03b1\u03c3@example.com'));
  });
});
