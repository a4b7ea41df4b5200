import type { Request, Response } from 'express';
import type { Services } from '../../composition.js';
import { statusMessages } from '../../messages.js';
import { queryParam } from '../forms.js';
import { twoFactorManageModel } from './two-factor-manage-model.js';

export function createManageController(services: Services) {
  return {
    async index(req: Request, res: Response) {
      const user = req.user!;
      const message = statusMessages[queryParam(req.query, 'message')];
      res.render('manage/index', {
        title: 'Manage your account',
        message,
        isError: queryParam(req.query, 'message') === 'Error',
        email: user.email,
        hasPassword: user.passwordHash !== null,
        // Normally read with the session (session-store.ts); counted here only when it was not.
        externalLoginCount: req.externalLoginCount ?? (await services.externalLogins.getLogins(user.id)).length,
        ...(await twoFactorManageModel(services, req)),
      });
    },
  };
}
