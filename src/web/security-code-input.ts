/** How much of a typed code is read: a code is short, so a long paste is not worth scanning. */
export const CODE_INPUT_MAX_LENGTH = 32;

/**
 * The code field's `pattern` (the browser anchors it and applies the `v` flag): six digits,
 * spaces and dashes around and between them, which is exactly what normaliseCode accepts.
 */
export const CODE_INPUT_PATTERN = String.raw`[\s\-]*(?:\d[\s\-]*){6}`;

/**
 * A code as typed: spaces and dashes allowed between digits; anything else is not a code.
 * Shared by the sign-in's Verify Code page and phone-number verification, so it lives in no
 * one controller.
 */
export function normaliseCode(input: string): string | undefined {
  const code = input.slice(0, CODE_INPUT_MAX_LENGTH).replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
}
