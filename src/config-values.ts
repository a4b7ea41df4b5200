import { z } from 'zod';

/** The kinds of value an environment variable can hold, shared by every config schema. */

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

export const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

/** A blank variable counts as unset, as in most .env files. */
export const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const optionalUrl = optional.pipe(z.url().optional());

/** Milliseconds per unit, for turning a variable's minutes, hours or days into a `…Ms` value. */
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
