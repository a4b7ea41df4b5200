import type { Request, Response } from 'express';
import type { Config } from '../../config.js';
import { accountLimitKeys } from '../../identity/account-limit-keys.js';
import type { Clock } from '../../clock.js';
import { normaliseEmail } from '../../identity/email-address.js';
import type { ExternalLoginManager } from '../../identity/external-logins.js';
import type { RateLimiter, RateLimitResult } from '../../identity/rate-limiter.js';
import type { SecretKeys } from '../../identity/secret-keys.js';
import type { UserManager } from '../../identity/user-manager.js';
import { describeErrors } from '../../identity/identity-result.js';
import { pageMessages, pageTitles } from '../../messages.js';
import { checkNewPassword, emailFieldError } from '../form-checks.js';
import { auditContext } from '../audit-context.js';
import { field, queryParam, type FieldErrors } from '../forms.js';
import { RATE_LIMITS, retryAfterSeconds } from '../rate-limits.js';

export interface RegistrationControllerDeps {
  clock: Clock;
  config: Config;
  externalLogins: Pick<ExternalLoginManager, 'getLogins'>;
  keys: SecretKeys;
  rateLimiter: RateLimiter;
  users: UserManager;
}

/** Register and confirm the address. */
export class RegistrationController {
  constructor(private readonly deps: RegistrationControllerDeps) {}

  registerForm = (_req: Request, res: Response) => {
    this.renderRegister(res, '', {});
  };

  register = async (req: Request, res: Response) => {
    const { users, rateLimiter, config } = this.deps;
    const rawEmail = field(req.body, 'email');
    const password = field(req.body, 'password');
    const email = normaliseEmail(rawEmail);
    const errors = this.registrationErrors(req.body, rawEmail, email);
    if (!email || errors) return this.renderRegister(res, rawEmail.slice(0, 254), errors ?? {});

    const verdict = await this.countRegistration(req, email);
    if (!verdict.allowed) {
      res.status(429).set('Retry-After', retryAfterSeconds(verdict.resetAt, this.deps.clock()));
      return this.renderRegister(res, rawEmail.slice(0, 254), { form: pageMessages.tooManyRegistrations });
    }
    // Registering an address that has an account mails its owner: only so often (case D41).
    const notice = await rateLimiter.hitAll(
      (await accountLimitKeys(this.deps, 'notice', email)).map((k) => [k, RATE_LIMITS.accountNoticePerAddress]),
    );
    const result = await users.register(email, password, auditContext(req), { notifyExisting: notice.allowed });
    if (!result.succeeded) return this.renderRegister(res, rawEmail, { password: describeErrors(result.errors) });
    // The same page whether the address was new or already had an account.
    res.render('account/check-email', {
      title: pageTitles.checkYourEmail,
      message: pageMessages.checkEmailToConfirm,
      demoLink: config.demoMode ? result.value.link : undefined,
    });
  };

  /**
   * The link in the confirmation mail only shows a button: mail scanners and link previews
   * fetch links, and a GET that confirmed would let them confirm an account someone else
   * registered with the reader's address. The code is in this page's address and in its
   * form, so no Referer may carry it anywhere.
   */
  confirmEmailForm = async (req: Request, res: Response) => {
    res.set('Referrer-Policy', 'no-referrer');
    const userId = queryParam(req.query, 'userId');
    const code = queryParam(req.query, 'code');
    if (!userId || !code)
      return res.status(400).render('error', { title: pageTitles.error, message: pageMessages.invalidToken, status: 400 });
    // An account made with an external login and an address nobody proved may be someone
    // else's Google account under the reader's address (pre-hijacking): say so before the button.
    const user = await this.deps.users.findById(userId);
    if (user?.emailConfirmed) return renderAlreadyConfirmed(res);
    const [login] = user && !user.emailConfirmed ? await this.deps.externalLogins.getLogins(user.id) : [];
    const loginWarning = login ? pageMessages.confirmAccountMadeWithLogin(login.providerDisplayName ?? login.loginProvider) : undefined;
    res.render('account/confirm-email-form', {
      title: pageTitles.confirmEmail,
      userId: userId.slice(0, 64),
      code: code.slice(0, 512),
      loginWarning,
      setOwnPassword: pageMessages.confirmOrSetOwnPassword,
    });
  };

  confirmEmail = async (req: Request, res: Response) => {
    res.set('Referrer-Policy', 'no-referrer');
    const ok = await this.deps.users.confirmEmail(field(req.body, 'userId'), field(req.body, 'code'), auditContext(req));
    if (!ok) {
      // A link opened again after it worked: the address is confirmed, and the way on is to sign in.
      if ((await this.deps.users.findById(field(req.body, 'userId')))?.emailConfirmed) return renderAlreadyConfirmed(res);
      return res.status(400).render('error', { title: pageTitles.error, message: pageMessages.invalidToken, status: 400 });
    }
    res.render('account/confirm-email', { title: pageTitles.confirmEmail });
  };

  /** The form's own checks, before anything is counted or hashed; undefined when it is fine. */
  private registrationErrors(body: unknown, rawEmail: string, email: string | undefined): FieldErrors | undefined {
    const errors: FieldErrors = {};
    const emailError = emailFieldError(rawEmail, email);
    if (emailError) errors.email = emailError;
    checkNewPassword(body, errors, this.deps.users);
    return Object.keys(errors).length ? errors : undefined;
  }

  /**
   * Counted before the costly hash, for taken and free addresses alike (no oracle). The IP
   * first: a flood from one place is turned away with one statement per request.
   */
  private async countRegistration(req: Request, email: string): Promise<RateLimitResult> {
    const { rateLimiter, config } = this.deps;
    const verdict = await rateLimiter.hit(`register:ip:${req.ip}`, { ...RATE_LIMITS.registerPerIp, limit: config.registerAttempts.perIp });
    if (!verdict.allowed) return verdict;
    const perAddress = { ...RATE_LIMITS.registerPerAddress, limit: config.registerAttempts.perAddress };
    const addressKeys = await accountLimitKeys(this.deps, 'register', email);
    return rateLimiter.hitAll(addressKeys.map((key) => [key, perAddress]));
  }

  private renderRegister(res: Response, email: string, errors: FieldErrors) {
    res.render('account/register', { title: pageTitles.register, email, errors });
  }
}

function renderAlreadyConfirmed(res: Response) {
  res.render('account/confirm-email', { title: pageTitles.confirmEmail, alreadyConfirmed: pageMessages.emailAlreadyConfirmed });
}
