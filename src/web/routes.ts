import { Router } from 'express';
import type { Services } from '../composition.js';
import { RegistrationController } from './controllers/registration-controller.js';
import { SignInController } from './controllers/sign-in-controller.js';
import { HomeController } from './controllers/home-controller.js';
import { ManageController } from './controllers/manage-controller.js';
import { ExternalLoginController } from './controllers/external-login-controller.js';
import { ManageLoginsController } from './controllers/manage-logins-controller.js';
import { ManagePasswordController } from './controllers/manage-password-controller.js';
import { PasswordController } from './controllers/password-controller.js';
import { PhoneController } from './controllers/phone-controller.js';
import { TwoFactorController } from './controllers/two-factor-controller.js';
import { TwoFactorSettingsController } from './controllers/two-factor-settings-controller.js';
import { createGoogleAuth } from './google-auth.js';
import { requireSignedIn } from './middleware/current-user.js';
import type { RouteOptions } from './route-options.js';
import { createSignInDeviceCookie } from './sign-in-device-cookie.js';

type Controllers = ReturnType<typeof createControllers>;

/** Every path, guard and action at a glance. Every state change is a POST (CSRF-checked upstream). */
export function createRoutes(services: Services, options: RouteOptions): Router {
  const c = createControllers(services, options);
  const r = Router();
  r.use(c.deviceCookie.recognizeDevice);
  r.use('/account', (_req, res, next) => {
    // The sign-in pages offer Google only when it is configured.
    res.locals.externalProviders = c.google?.providers ?? [];
    next();
  });
  r.get('/', c.home.index);
  accountRoutes(r, c);
  manageRoutes(r, c);
  return r;
}

/** Each controller, given only the collaborators it uses. */
function createControllers(services: Services, options: RouteOptions) {
  const { clock, config, externalLogins, keys, passwordReset, phoneNumbers, rateLimiter, rememberedBrowsers, signIn, twoFactor, users } =
    services;
  const deviceCookie = createSignInDeviceCookie(signIn, config.production);
  const google = createGoogleAuth(config.google, config.appBaseUrl, clock);
  const manageLogins = new ManageLoginsController({ clock, externalLogins }, { ...options, google });
  return {
    deviceCookie,
    google,
    manageLogins,
    home: new HomeController(),
    registration: new RegistrationController({ clock, config, externalLogins, keys, rateLimiter, users }),
    signInPages: new SignInController({ clock, config, signIn }, { ...options, readDeviceCookie: deviceCookie.read }),
    twoFactor: new TwoFactorController({ clock, config, signIn }, options),
    external: new ExternalLoginController(
      { clock, config, externalLogins, keys, rateLimiter, signIn, users },
      { ...options, google, completeLink: manageLogins.completeLink },
    ),
    passwords: new PasswordController(
      { config, keys, passwordReset, rateLimiter, users },
      { clearSignInThrottle: (user) => signIn.clearThrottle(user) },
    ),
    manage: new ManageController({ config, externalLogins, rememberedBrowsers }),
    managePassword: new ManagePasswordController({ clock, config, passwordReset, rateLimiter, rememberedBrowsers, users }, options),
    phone: new PhoneController({ clock, config, phoneNumbers }, options),
    twoFactorSettings: new TwoFactorSettingsController({ clock, config, rememberedBrowsers, twoFactor }, options),
  };
}

/** The visitor's pages: register, sign in (both factors), passwords, external logins. */
function accountRoutes(r: Router, c: Controllers): void {
  r.get('/account/register', c.registration.registerForm);
  r.post('/account/register', c.registration.register);
  r.get('/account/confirm-email', c.registration.confirmEmailForm);
  r.post('/account/confirm-email', c.registration.confirmEmail);
  r.get('/account/login', c.signInPages.loginForm);
  r.post('/account/login', c.signInPages.login);
  r.post('/account/log-off', c.signInPages.logOff);
  // Open only to a visitor with a fresh pending two-factor sign-in (checked in the controller).
  r.get('/account/send-code', c.twoFactor.sendCodeForm);
  r.post('/account/send-code', c.twoFactor.sendCode);
  r.get('/account/verify-code', c.twoFactor.verifyCodeForm);
  r.post('/account/verify-code', c.twoFactor.verifyCode);
  r.post('/account/cancel-sign-in', c.twoFactor.cancelSignIn);
  r.get('/account/forgot-password', c.passwords.forgotPasswordForm);
  r.post('/account/forgot-password', c.passwords.forgotPassword);
  r.get('/account/reset-password', c.passwords.resetPasswordForm);
  r.post('/account/reset-password', c.passwords.resetPassword);
  r.post('/account/external-login', c.external.externalLogin);
  r.get('/account/external-login-callback', c.external.externalLoginCallback);
  r.get('/account/external-login-confirmation', c.external.confirmationForm);
  r.post('/account/external-login-confirmation', c.external.confirmation);
}

/** The signed-in user's pages: every one behind requireSignedIn. */
function manageRoutes(r: Router, c: Controllers): void {
  const signedIn = requireSignedIn;
  r.get('/manage', signedIn, c.manage.index);
  r.get('/manage/add-phone-number', signedIn, c.phone.addPhoneNumberForm);
  r.post('/manage/add-phone-number', signedIn, c.phone.addPhoneNumber);
  r.get('/manage/verify-phone-number', signedIn, c.phone.verifyPhoneNumberForm);
  r.post('/manage/verify-phone-number', signedIn, c.phone.verifyPhoneNumber);
  r.post('/manage/remove-phone-number', signedIn, c.phone.removePhoneNumber);
  r.post('/manage/enable-two-factor', signedIn, c.twoFactorSettings.enableTwoFactor);
  r.post('/manage/disable-two-factor', signedIn, c.twoFactorSettings.disableTwoFactor);
  r.post('/manage/remember-browser', signedIn, c.twoFactorSettings.rememberBrowser);
  r.post('/manage/forget-browser', signedIn, c.twoFactorSettings.forgetBrowser);
  r.get('/manage/change-password', signedIn, c.managePassword.changePasswordForm);
  r.post('/manage/change-password', signedIn, c.managePassword.changePassword);
  r.get('/manage/set-password', signedIn, c.managePassword.setPasswordForm);
  r.post('/manage/set-password', signedIn, c.managePassword.setPassword);
  r.get('/manage/logins', signedIn, c.manageLogins.logins);
  r.post('/manage/link-login', signedIn, c.manageLogins.linkLogin);
  r.post('/manage/remove-login', signedIn, c.manageLogins.removeLogin);
}
