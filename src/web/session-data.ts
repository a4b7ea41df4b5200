import type { Request } from 'express';

/**
 * Whether the request's session holds anything (a signed-in user, a pending two-factor step, a
 * Google round trip) beyond express-session's own cookie settings: only such a session is
 * stored, and only it carries a synchroniser CSRF token.
 */
export const hasSessionData = (req: Request): boolean => Boolean(req.session) && Object.keys(req.session).some((k) => k !== 'cookie');
