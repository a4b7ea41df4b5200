import { Router } from 'express';
import type { Services } from '../composition.js';
import { createAccountController } from './controllers/account-controller.js';
import { createHomeController } from './controllers/home-controller.js';
import { createManageController } from './controllers/manage-controller.js';
import type { createCsrfProtection } from './middleware/csrf.js';
import { requireSignedIn } from './middleware/current-user.js';

export interface RouteOptions {
  csrf: ReturnType<typeof createCsrfProtection>;
  absoluteMs: number;
}

/** Every path, guard and action at a glance. Every state change is a POST (CSRF-checked upstream). */
export function createRoutes(services: Services, options: RouteOptions): Router {
  const home = createHomeController();
  const account = createAccountController(services, options);
  const manage = createManageController(services);
  const r = Router();

  r.get('/', home.index);

  r.get('/account/register', account.registerForm);
  r.post('/account/register', account.register);
  r.get('/account/confirm-email', account.confirmEmail);
  r.get('/account/login', account.loginForm);
  r.post('/account/login', account.login);
  r.post('/account/log-off', account.logOff);

  r.get('/manage', requireSignedIn, manage.index);

  return r;
}
