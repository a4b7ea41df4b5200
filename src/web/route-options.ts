import type { createCsrfProtection } from './middleware/csrf.js';

/**
 * What the app hands the route table and, through it, the controllers. Its own module so a
 * controller can name it without importing routes.ts, which imports every controller.
 */
export interface RouteOptions {
  csrf: ReturnType<typeof createCsrfProtection>;
  /** How long a "Remember me" cookie may last (its session ends on the server by docs/sessions.md). */
  rememberMeMs: number;
}
