import type { NextFunction, Request, Response } from 'express';
import type { Services } from '../../composition.js';
import type { ExternalLoginInfo } from '../../identity/external-logins.js';
import type { User } from '../../db/stores/user-store.js';
import { pageMessages, pageTitles, statusMessages } from '../../messages.js';
import { field, queryParam } from '../forms.js';
import type { ExternalAuthIntent, GoogleAuth } from '../google-auth.js';
import { reissueSession } from '../session.js';
import { auditContext } from '../audit-context.js';
import { hasError } from '../../identity/identity-result.js';

export interface ManageLoginsOptions {
  google?: GoogleAuth;
  /** How long a "Remember me" cookie may last (its session ends on the server by docs/sessions.md). */
  rememberMeMs: number;
}

const LOGINS_PAGE = '/manage/logins';

export type ManageLoginsControllerDeps = Pick<Services, 'clock' | 'externalLogins'>;

/** ManageLogins, LinkLogin (and its callback) and RemoveLogin. */
export class ManageLoginsController {
  constructor(
    private readonly deps: ManageLoginsControllerDeps,
    private readonly options: ManageLoginsOptions,
  ) {}

  logins = async (req: Request, res: Response) => {
    const user = req.user!;
    const userLogins = await this.deps.externalLogins.getLogins(user.id);
    const providers = this.options.google?.providers ?? [];
    const key = queryParam(req.query, 'message');
    res.render('manage/logins', {
      title: pageTitles.manageLogins,
      message: statusMessages[key],
      isError: key === 'Error' || key === 'LoginAlreadyLinked',
      userLogins,
      otherLogins: providers.filter((p) => !userLogins.some((l) => l.loginProvider === p.name)),
      // The seed's rule, enforced again on the server: never remove the last way to sign in.
      showRemoveButton: user.passwordHash !== null || userLogins.length > 1,
    });
  };

  linkLogin = (req: Request, res: Response, next: NextFunction) => {
    const google = this.options.google;
    if (!google || field(req.body, 'provider') !== 'Google') return back(res, 'Error');
    google.challenge(req, res, next, { intent: 'link', returnUrl: LOGINS_PAGE, userId: req.user!.id });
  };

  /** LinkLoginCallback: only for the same user, still signed in, who started the link. */
  completeLink = async (req: Request, res: Response, login: ExternalLoginInfo, intent: ExternalAuthIntent) => {
    const user = req.user;
    if (!user || user.id !== intent.userId) {
      return res.render('account/external-login-failure', { title: pageTitles.loginFailure, message: pageMessages.externalLoginFailure });
    }
    const result = await this.deps.externalLogins.addLogin(user.id, login, auditContext(req));
    if (!result.succeeded) {
      return back(res, hasError(result.errors, 'LoginAlreadyAssociated') ? 'LoginAlreadyLinked' : 'Error');
    }
    await this.keepThisSession(req, res, result.value, 'AddLoginSuccess');
  };

  removeLogin = async (req: Request, res: Response) => {
    const result = await this.deps.externalLogins.removeLogin(
      req.user!.id,
      field(req.body, 'loginProvider'),
      field(req.body, 'providerKey'),
      auditContext(req),
    );
    if (!result.succeeded) return back(res, 'Error');
    // Removing a way in rotates the stamp: other sessions end, this one carries on.
    await this.keepThisSession(req, res, result.value, 'RemoveLoginSuccess');
  };

  private async keepThisSession(req: Request, res: Response, user: User, message: string) {
    await reissueSession(req, user, this.deps.clock().getTime(), this.options.rememberMeMs);
    back(res, message);
  }
}

function back(res: Response, message: string) {
  res.redirect(303, `${LOGINS_PAGE}?message=${message}`);
}
