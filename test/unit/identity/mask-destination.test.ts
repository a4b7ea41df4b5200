import { describe, expect, it } from 'vitest';
import { maskDestination } from '../../../src/identity/sign-in/second-factor.js';

describe('maskDestination (the Send Code page names where a code goes, masked)', () => {
  it('shows the last four digits of a phone', () => {
    expect(maskDestination({ channel: 'sms', target: '+41791234567' })).toBe('•••• 4567');
  });

  it('shows the first letter and the domain of an address', () => {
    expect(maskDestination({ channel: 'email', target: 'ada@example.com' })).toBe('a•••@example.com');
    expect(maskDestination({ channel: 'email', target: 'x@example.com' })).toBe('x•••@example.com');
  });

  it('keeps a first letter outside the BMP whole', () => {
    expect(maskDestination({ channel: 'email', target: '😀bob@example.com' })).toBe('😀•••@example.com');
  });
});
