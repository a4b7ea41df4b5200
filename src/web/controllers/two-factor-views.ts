import type { Response } from 'express';
import { twoFactorMessages } from '../../messages.js';
import type { FieldErrors } from '../forms.js';

/** "30 seconds", "1 minute", "42 minutes": how long until the next code may be sent. */
export function formatWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** A sending limit was reached: nothing was sent, and the page says when to try again. */
export function renderRateLimited(
  res: Response,
  refusal: { retryAt: Date; sentAt?: Date },
  now: Date,
  render: (errors: FieldErrors) => void,
): void {
  const waitMs = refusal.retryAt.getTime() - now.getTime();
  res.set('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
  const message = refusal.sentAt
    ? twoFactorMessages.codeSentRecently(formatWait(now.getTime() - refusal.sentAt.getTime()), formatWait(waitMs))
    : twoFactorMessages.tooManyCodes(formatWait(waitMs));
  render({ form: message });
}
