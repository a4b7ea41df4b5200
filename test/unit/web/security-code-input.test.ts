import { describe, expect, it } from 'vitest';
import { CODE_INPUT_MAX_LENGTH, CODE_INPUT_PATTERN, normaliseCode } from '../../../src/web/security-code-input.js';

/** How a browser applies an input's `pattern`: the whole value, with the `v` flag. */
const browserPattern = new RegExp(`^(?:${CODE_INPUT_PATTERN})$`, 'v');

const samples = [
  '123456',
  '123 456',
  '123-456',
  ' 123456 ',
  '1 2 3 4 5 6',
  '12-34-56',
  '--123456--',
  '123\u00a0456',
  '12345',
  '1234567',
  '12345a',
  'abcdef',
  '',
  '123 45',
  '１２３４５６',
  '123_456',
  '123.456',
];

describe('the code field accepts in the browser what the server accepts', () => {
  it.each(samples)('%j: pattern and normaliseCode agree', (sample) => {
    expect(sample.length).toBeLessThanOrEqual(CODE_INPUT_MAX_LENGTH);
    expect(browserPattern.test(sample)).toBe(normaliseCode(sample) !== undefined);
  });

  it('maxlength lets through every code the server would read (it reads the first 32 characters)', () => {
    expect(normaliseCode(`${' '.repeat(CODE_INPUT_MAX_LENGTH - 6)}123456`)).toBe('123456');
    expect(normaliseCode(`${' '.repeat(CODE_INPUT_MAX_LENGTH - 5)}123456`)).toBeUndefined();
  });
});
