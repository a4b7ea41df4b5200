import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { PasswordHasherBusyError } from '../../identity/password-hasher.js';
import { busyPage, errorPages } from '../../messages.js';
import { HttpError } from '../http-error.js';
import { redactUrl } from '../redact-url.js';

export function notFound(_req: Request, _res: Response, next: NextFunction) {
  next(new HttpError(404));
}

// Connection failures from pg or knex's pool: the database is down, not the request bad. When
// the connection drops inside a transaction, knex reports the failed ROLLBACK ("... is not
// queryable"), not the first error. A server that does not answer at all ends in pg's query or
// connection timeout ("Query read timeout", "timeout expired").
const databaseDown = (err: { code?: string; name?: string; message?: string }) =>
  ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006', '08001', '08003'].includes(err.code ?? '') ||
  err.name === 'KnexTimeoutError' ||
  /Connection terminated|connect ECONNREFUSED|Unable to acquire a connection|PGlite is closed|is not queryable|Query read timeout|^timeout expired$/.test(
    err.message ?? '',
  );

/**
 * The one error handler, registered last. Expected failures render their page; anything else
 * is logged and shown as a plain 500. A stack trace is shown only in development.
 */
export function errorHandler(logger: Logger, showStack: boolean) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; statusCode?: number; type?: string; reason?: string; stack?: string };
    let status = err instanceof HttpError ? err.status : (e.status ?? e.statusCode ?? 500);
    if (status === 500 && databaseDown(e as never)) status = 503;
    // The password-hashing queue is full (a flood): refused at once, nothing half-done.
    const hasherBusy = err instanceof PasswordHasherBusyError;
    if (hasherBusy) status = 503;
    if (status < 400 || status > 599) status = 500;
    if (hasherBusy) logger.warn({ url: redactUrl(req.path) }, 'password hashing queue full: request refused');
    else if (status >= 500) logger.error({ err, url: redactUrl(req.path) }, 'request failed');
    if (res.headersSent) return;
    const page = hasherBusy ? busyPage : (errorPages[status] ?? errorPages[status < 500 ? 400 : 500]);
    const csrf = err instanceof HttpError && err.reason === 'csrf';
    res.status(status);
    if (status === 503) res.set('Retry-After', hasherBusy ? String(err.retryAfterSeconds) : '5');
    res.render('error', {
      title: csrf ? 'Form expired' : page.title,
      message: csrf ? 'This form has expired or was sent from another site. Please go back, reload the page and try again.' : page.message,
      status,
      stack: showStack && status >= 500 ? e.stack : undefined,
      currentUser: res.locals.currentUser,
      csrfToken: res.locals.csrfToken,
    });
  };
}
