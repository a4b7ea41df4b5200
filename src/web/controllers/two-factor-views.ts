import type { Response } from 'express';
import { twoFactorMessages } from '../../messages.js';
import type { FieldErrors } from '../forms.js';
import { formatWait } from '../format-wait.js';

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
