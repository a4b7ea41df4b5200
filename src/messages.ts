/**
 * The message catalogue: every text the app shows or sends, split by subject in src/messages/.
 * Import from here. The quoted texts are the seed sample's (DESIGN.md §5): keep them word for word.
 */
export * from './messages/emails.js';
export * from './messages/identity-errors.js';
export * from './messages/input.js';
export * from './messages/status.js';
export * from './messages/titles.js';
export * from './messages/two-factor.js';
export * from './messages/validation.js';
