import { Router } from 'express';
import type { Services } from '../composition.js';
import { createAccountController } from './controllers/account-controller.js';
import { createHomeController } from './controllers/home-controller.js';
import { createManageController } from './controllers/manage-controller.js';
import { createExternalLoginController } from './controllers/external-login-controller.js';
import { createManageLoginsController } from './controllers/manage-logins-controller.js';
import { createManagePasswordController } from './controllers/manage-password-controller.js';
import { createPasswordController } from './controllers/password-controller.js';
import { createPhoneController } from './controllers/phone-controller.js';
import { createTwoFactorController } from './controllers/two-factor-controller.js';
import { createTwoFactorSettingsController } from './controllers/two-factor-settings-controller.js';
import { createGoogleAuth } from './google-auth.js';
import { createSignInThrottle } from './middleware/sign-in-throttle.js';
import { requireSignedIn } from './middleware/current-user.js';
import type { RouteOptions } from './route-options.js';

/** Every path, guard and action at a glance. Every state change is a POST (CSRF-checked upstream). */
export function createRoutes(services: Services, options: RouteOptions): Router {
  const { audit, clock, config, db, externalLogins, keys, passwordReset, phoneNumbers, rateLimiter, rememberedBrowsers, users } = services;
  const home = createHomeController();
  const account = createAccountController(services, options);
  const manage = createManageController({ config, externalLogins, rememberedBrowsers });
  const google = createGoogleAuth(config.google, config.appBaseUrl, clock);
  const signInThrottle = createSignInThrottle(services);
  const passwords = createPasswordController(
    { audit, config, db, keys, passwordReset, rateLimiter, users },
    { clearSignInThrottle: signInThrottle.clearAccount },
  );
  const managePassword = createManagePasswordController({ clock, passwordReset, rateLimiter, users }, options);
  const manageLogins = createManageLoginsController({ clock, externalLogins }, { ...options, google });
  const external = createExternalLoginController(services, { ...options, google, completeLink: manageLogins.completeLink });
  const twoFactor = createTwoFactorController(services, options);
  const phone = createPhoneController({ clock, config, phoneNumbers }, options);
  const twoFactorSettings = createTwoFactorSettingsController(
    { clock, config, rememberedBrowsers, twoFactor: services.twoFactor },
    options,
  );
  const r = Router();

  r.use(signInThrottle.recognizeDevice);
  r.use('/account', (_req, res, next) => {
    // The sign-in pages offer Google only when it is configured.
    res.locals.externalProviders = google?.providers ?? [];
    next();
  });

  r.get('/', home.index);

  r.get('/account/register', account.registerForm);
  r.post('/account/register', account.register);
  r.get('/account/confirm-email', account.confirmEmailForm);
  r.post('/account/confirm-email', account.confirmEmail);
  r.get('/account/login', account.loginForm);
  r.post('/account/login', signInThrottle.throttle, account.login);
  r.post('/account/log-off', account.logOff);
  // Open only to a visitor with a fresh pending two-factor sign-in (checked in the controller).
  r.get('/account/send-code', twoFactor.sendCodeForm);
  r.post('/account/send-code', twoFactor.sendCode);
  r.get('/account/verify-code', twoFactor.verifyCodeForm);
  r.post('/account/verify-code', twoFactor.verifyCode);

  r.get('/manage', requireSignedIn, manage.index);
  r.get('/manage/add-phone-number', requireSignedIn, phone.addPhoneNumberForm);
  r.post('/manage/add-phone-number', requireSignedIn, phone.addPhoneNumber);
  r.get('/manage/verify-phone-number', requireSignedIn, phone.verifyPhoneNumberForm);
  r.post('/manage/verify-phone-number', requireSignedIn, phone.verifyPhoneNumber);
  r.post('/manage/remove-phone-number', requireSignedIn, phone.removePhoneNumber);
  r.post('/manage/enable-two-factor', requireSignedIn, twoFactorSettings.enableTwoFactor);
  r.post('/manage/disable-two-factor', requireSignedIn, twoFactorSettings.disableTwoFactor);
  r.post('/manage/remember-browser', requireSignedIn, twoFactorSettings.rememberBrowser);
  r.post('/manage/forget-browser', requireSignedIn, twoFactorSettings.forgetBrowser);

  r.get('/account/forgot-password', passwords.forgotPasswordForm);
  r.post('/account/forgot-password', passwords.forgotPassword);
  r.get('/account/reset-password', passwords.resetPasswordForm);
  r.post('/account/reset-password', passwords.resetPassword);
  r.post('/account/external-login', external.externalLogin);
  r.get('/account/external-login-callback', external.externalLoginCallback);
  r.get('/account/external-login-confirmation', external.confirmationForm);
  r.post('/account/external-login-confirmation', external.confirmation);
  r.get('/manage/change-password', requireSignedIn, managePassword.changePasswordForm);
  r.post('/manage/change-password', requireSignedIn, managePassword.changePassword);
  r.get('/manage/set-password', requireSignedIn, managePassword.setPasswordForm);
  r.post('/manage/set-password', requireSignedIn, managePassword.setPassword);
  r.get('/manage/logins', requireSignedIn, manageLogins.logins);
  r.post('/manage/link-login', requireSignedIn, manageLogins.linkLogin);
  r.post('/manage/remove-login', requireSignedIn, manageLogins.removeLogin);

  return r;
}
