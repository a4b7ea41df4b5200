import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import { formatPhoneNumber, parsePhoneNumber } from '../../identity/phone-number.js';
import type { User } from '../../db/stores/user-store.js';
import { pageMessages, pageTitles, twoFactorMessages, validationMessages } from '../../messages.js';
import { field, queryParam, type FieldErrors } from '../forms.js';
import type { RouteOptions } from '../route-options.js';
import { normaliseCode } from '../security-code-input.js';
import { reissueSession } from '../session.js';
import { auditContext } from '../audit-context.js';
import { renderRateLimited } from './two-factor-views.js';

/** What the user typed, safe to show again: bounded and without control characters. */
const echo = (raw: string) => raw.slice(0, 32).replace(/\p{C}/gu, '');

export type PhoneControllerDeps = Pick<Services, 'clock' | 'config' | 'phoneNumbers'>;

/** AddPhoneNumber → SMS code → VerifyPhoneNumber → saved; RemovePhoneNumber (all signed in). */
export class PhoneController {
  private readonly allowedCountries: readonly string[];

  constructor(
    private readonly deps: PhoneControllerDeps,
    private readonly options: RouteOptions,
  ) {
    this.allowedCountries = deps.config.twoFactor.allowedCountries;
  }

  addPhoneNumberForm = (_req: Request, res: Response) => {
    renderAdd(res, '', {});
  };

  addPhoneNumber = async (req: Request, res: Response) => {
    const raw = field(req.body, 'phoneNumber');
    const parsed = parsePhoneNumber(raw, this.allowedCountries);
    if (!parsed.ok) return renderAdd(res, echo(raw), { phoneNumber: parsed.error });
    const result = await this.deps.phoneNumbers.sendPhoneNumberCode(req.user!, parsed.e164, auditContext(req));
    if (result.status === 'RateLimited') {
      return renderRateLimited(res, result, this.deps.clock(), (errors) => renderAdd(res, echo(raw), errors, 429));
    }
    if (result.status === 'NotDelivered') return renderAdd(res, echo(raw), { form: twoFactorMessages.codeNotSent });
    res.redirect(303, `/manage/verify-phone-number?${new URLSearchParams({ phoneNumber: parsed.e164 })}`);
  };

  verifyPhoneNumberForm = async (req: Request, res: Response) => {
    const parsed = parsePhoneNumber(queryParam(req.query, 'phoneNumber'), this.allowedCountries);
    if (!parsed.ok) return res.redirect('/manage/add-phone-number');
    await this.renderVerify(res, req.user!, parsed.e164, {});
  };

  verifyPhoneNumber = async (req: Request, res: Response) => {
    const raw = field(req.body, 'phoneNumber');
    const parsed = parsePhoneNumber(raw, this.allowedCountries);
    if (!parsed.ok) return renderAdd(res, echo(raw), { phoneNumber: parsed.error });
    const rawCode = field(req.body, 'code');
    const code = normaliseCode(rawCode);
    if (!code) return this.renderVerify(res, req.user!, parsed.e164, malformedCodeErrors(rawCode));
    const updated = await this.deps.phoneNumbers.changePhoneNumber(req.user!.id, parsed.e164, code, auditContext(req));
    if (!updated) return this.renderVerify(res, req.user!, parsed.e164, { form: pageMessages.failedToVerifyPhone });
    // The stamp changed: other sessions end, this one carries on under the new stamp.
    await this.keepThisSession(req, res, updated, 'AddPhoneSuccess');
  };

  removePhoneNumber = async (req: Request, res: Response) => {
    const updated = await this.deps.phoneNumbers.removePhoneNumber(req.user!.id, auditContext(req));
    if (!updated) return res.redirect(303, '/manage?message=Error');
    await this.keepThisSession(req, res, updated, 'RemovePhoneSuccess');
  };

  private async keepThisSession(req: Request, res: Response, user: User, message: string) {
    await reissueSession(req, user, this.deps.clock().getTime(), this.options.rememberMeMs);
    res.redirect(303, `/manage?message=${message}`);
  }

  private async renderVerify(res: Response, user: User, phoneNumber: string, errors: FieldErrors) {
    const demoCode = this.deps.config.demoMode ? await this.deps.phoneNumbers.demoCode(user.id, phoneNumber) : undefined;
    res.render('manage/verify-phone-number', {
      title: pageTitles.verifyPhoneNumber,
      phoneNumber,
      displayNumber: formatPhoneNumber(phoneNumber),
      demoCode,
      demoText: twoFactorMessages.demoPhoneCode,
      errors,
    });
  }
}

function renderAdd(res: Response, phoneNumber: string, errors: FieldErrors, status = 200) {
  res.status(status).render('manage/add-phone-number', { title: pageTitles.addPhoneNumber, phoneNumber, errors });
}

/** A code that cannot be right is refused unchecked: "required" when empty, else "failed". */
function malformedCodeErrors(rawCode: string): FieldErrors {
  return rawCode ? { form: pageMessages.failedToVerifyPhone } : { code: validationMessages.codeRequired };
}
