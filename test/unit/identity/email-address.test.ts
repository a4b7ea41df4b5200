import { describe, expect, it } from 'vitest';
import { normaliseEmail } from '../../../src/identity/email-address.js';

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
