import { describe, expect, it } from 'vitest';
import { formatPhoneNumber, parsePhoneNumber } from '../../../src/identity/phone-number.js';

describe('parsePhoneNumber', () => {
  it.each([
    ['+41 79 123 45 67', '+41791234567'],
    ['+41 (0)79 123-45-67', '+41791234567'],
    ['  +1 202 555 0123 ', '+12025550123'],
    ['+33 6 12 34 56 78', '+33612345678'],
  ])('normalises %j to E.164', (input, e164) => {
    expect(parsePhoneNumber(input)).toMatchObject({ ok: true, e164 });
  });

  it.each([
    '',
    '079 123 45 67',
    '+1-800-FLOWERS',
    `+${'9'.repeat(30)}`,
    '+999123456',
    '+41 79 123 45 67\u0000',
    '+4179１２３4567',
    '+41 79 😀',
  ])('refuses %j', (input) => {
    expect(parsePhoneNumber(input).ok).toBe(false);
  });

  it('refuses premium-rate numbers and countries outside the allowlist', () => {
    expect(parsePhoneNumber('+1 900 555 1234')).toMatchObject({
      ok: false,
      error: expect.stringContaining('cannot receive text messages'),
    });
    expect(parsePhoneNumber('+33 6 12 34 56 78', ['CH'])).toMatchObject({ ok: false, error: expect.stringContaining('country') });
    expect(parsePhoneNumber('+41 79 123 45 67', ['CH']).ok).toBe(true);
  });

  it('formats a stored number for display', () => {
    expect(formatPhoneNumber('+41791234567')).toBe('+41 79 123 45 67');
  });
});
