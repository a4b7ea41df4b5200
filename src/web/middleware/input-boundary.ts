import type { NextFunction, Request, Response } from 'express';
import { errorPages, inputMessages } from '../../messages.js';
import type { FieldErrors } from '../forms.js';
import { findBadlyEncodedField, findRefusedField } from '../input-boundary.js';

/** Fields whose percent-encoding was broken, found while the urlencoded parser read the raw body. */
const badlyEncoded = new WeakMap<Request, string>();

/** `verify` for express.urlencoded: notes a field whose percent-encoding is not UTF-8. */
export function noteBadlyEncodedField(req: Request, _res: Response, raw: Buffer): void {
  const field = findBadlyEncodedField(raw.toString('latin1'));
  if (field !== undefined) badlyEncoded.set(req, field);
}

/** Requests refused here, which continue as a GET of their path to show the form again. */
const refused = new WeakSet<object>();

/** The method as the client sent it, for the request log (a refused POST is not logged as GET). */
export const methodAsSent = (req: { method?: string }): string | undefined => (refused.has(req) ? 'POST' : req.method);

/** Only a plain field name gets its own error; anything else is reported at the form. */
const fieldName = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * Refuses a POST whose body holds a control character or broken text: its action never runs,
 * so nothing changes. The answer is 400 with the page's own form, as its GET shows it, with the
 * error beside the offending field and at the top of the form. Where the path has no form page
 * (a button-only POST) or that page would redirect, the 400 page carries the same message.
 */
export function refuseMalformedInput(req: Request, res: Response, next: NextFunction) {
  if (req.method !== 'POST') return next();
  const field = badlyEncoded.get(req) ?? findRefusedField(req.body);
  if (field === undefined) return next();

  const errors: FieldErrors = { form: inputMessages.formRefused };
  if (fieldName.test(field) && field !== 'form') errors[field] = inputMessages.fieldRefused;
  const render = res.render.bind(res) as (view: string, options?: object, callback?: (err: Error, html: string) => void) => void;
  res.render = ((view: string, options?: object, callback?: (err: Error, html: string) => void) => {
    res.status(400);
    const model = (typeof options === 'object' && options) || {};
    if (view === 'error')
      return render('error', { ...model, title: errorPages[400].title, message: inputMessages.formRefused, status: 400 }, callback);
    const pageErrors = (model as { errors?: FieldErrors }).errors;
    return render(view, { ...model, errors: { ...pageErrors, ...errors } }, callback);
  }) as Response['render'];
  res.redirect = (() =>
    res.render('error', { currentUser: res.locals.currentUser, csrfToken: res.locals.csrfToken })) as Response['redirect'];
  // The same path's GET shows the form; GET handlers change nothing.
  refused.add(req);
  req.method = 'GET';
  next();
}
