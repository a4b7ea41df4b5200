import { Router } from 'express';
import type { Services } from '../composition.js';
import { RegistrationController } from './controllers/registration-controller.js';
import { SignInController } from './controllers/sign-in-controller.js';
import { createHomeController } from './controllers/home-controller.js';
import { createManageController } from './controllers/manage-controller.js';
import { ExternalLoginController } from './controllers/external-login-controller.js';
import { createManageLoginsController } from './controllers/manage-logins-controller.js';
import { createManagePasswordController } from './controllers/manage-password-controller.js';
import { createPasswordController } from './controllers/password-controller.js';
import { createPhoneController } from './controllers/phone-controller.js';
import { TwoFactorController } from './controllers/two-factor-controller.js';
import { createTwoFactorSettingsController } from './controllers/two-factor-settings-controller.js';
import { createGoogleAuth } from './google-auth.js';
import { requireSignedIn } from './middleware/current-user.js';
import type { RouteOptions } from './route-options.js';
import { createSignInDeviceCookie } from './sign-in-device-cookie.js';

/** Every path, guard and action at a glance. Every state change is a POST (CSRF-checked upstream). */
export function createRoutes(services: Services, options: RouteOptions): Router {
  const home = createHomeController();
  const deviceCookie = createSignInDeviceCookie(services.signIn, services.config.env === 'production');
  const registration = new RegistrationController(services);
  const signInPages = new SignInController(services, { ...options, readDeviceCookie: deviceCookie.read });
  const manage = createManageController(services);
  const google = createGoogleAuth(services.config.google, services.config.appBaseUrl, services.clock);
  const passwords = createPasswordController(services, { clearSignInThrottle: (email) => services.signIn.clearThrottle(email) });
  const managePassword = createManagePasswordController(services, options);
  const manageLogins = createManageLoginsController(services, { ...options, google });
  const external = new ExternalLoginController(services, { ...options, google, completeLink: manageLogins.completeLink });
  const twoFactor = new TwoFactorController(services, options);
  const phone = createPhoneController(services, options);
  const twoFactorSettings = createTwoFactorSettingsController(services, options);
  const r = Router();

  r.use(deviceCookie.recognizeDevice);
  r.use('/account', (_req, res, next) => {
    // The sign-in pages offer Google only when it is configured.
    res.locals.externalProviders = google?.providers ?? [];
    next();
  });

  r.get('/', home.index);

  r.get('/account/register', registration.registerForm);
  r.post('/account/register', registration.register);
  r.get('/account/confirm-email', registration.confirmEmailForm);
  r.post('/account/confirm-email', registration.confirmEmail);
  r.get('/account/login', signInPages.loginForm);
  r.post('/account/login', signInPages.login);
  r.post('/account/log-off', signInPages.logOff);
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
