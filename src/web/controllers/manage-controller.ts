import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import { pageTitles, statusMessages } from '../../messages.js';
import { queryParam } from '../forms.js';
import { twoFactorManageModel } from './two-factor-manage-model.js';

export type ManageControllerDeps = Pick<Services, 'config' | 'externalLogins' | 'rememberedBrowsers'>;

/** The Manage overview: the account's ways in, its second factors and remembered browser. */
export class ManageController {
  constructor(private readonly deps: ManageControllerDeps) {}

  index = async (req: Request, res: Response) => {
    const { config, externalLogins, rememberedBrowsers } = this.deps;
    const user = req.user!;
    const message = statusMessages[queryParam(req.query, 'message')];
    res.render('manage/index', {
      title: pageTitles.manage,
      message,
      isError: queryParam(req.query, 'message') === 'Error',
      email: user.email,
      hasPassword: user.passwordHash !== null,
      // Normally read with the session (session-store.ts); counted here only when it was not.
      externalLoginCount: req.externalLoginCount ?? (await externalLogins.getLogins(user.id)).length,
      ...(await twoFactorManageModel({ rememberedBrowsers, production: config.production }, req)),
    });
  };
}
