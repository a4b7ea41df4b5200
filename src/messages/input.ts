/** The one refusal of the input boundary (src/web/input-boundary.ts): control characters, broken text. */
export const inputMessages = {
  fieldRefused: 'This field contains a character that is not allowed (a control character or broken text).',
  formRefused: 'The form contained a character that is not allowed, so nothing was changed. Please check what you typed and try again.',
} as const;
