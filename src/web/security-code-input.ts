/**
 * A code as typed: spaces and dashes allowed between digits; anything else is not a code.
 * Shared by the sign-in's Verify Code page and phone-number verification, so it lives in no
 * one controller.
 */
export function normaliseCode(input: string): string | undefined {
  const code = input.slice(0, 32).replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
}
