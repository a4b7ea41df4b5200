import type { Queryable } from '../../db/queryable.js';
import type { AuditContext, AuditLog } from '../../db/stores/audit-log.js';
import type { Clock } from '../../clock.js';
import type { ExternalLoginManager } from '../external-logins.js';
import type { RememberedBrowsers } from '../remembered-browsers.js';
import { safeEqual } from '../secret-keys.js';
import type { SendCodeResult } from '../security-code-sender.js';
import type { UserLoginInfo } from '../../db/stores/user-login-store.js';
import type { UserManager } from '../user-manager.js';
import type { User, UserStore } from '../../db/stores/user-store.js';
import { isLockedOut, type CodeLockout, type LockedOut } from './lockout.js';
import { isPendingFresh, type PendingSignIn } from './pending-sign-in.js';
import type { SecondFactor } from './second-factor.js';
import type { SignInThrottle } from './sign-in-throttle.js';

export interface SignInManagerDeps {
  knex: Queryable;
  clock: Clock;
  users: UserManager;
  store: UserStore;
  audit: AuditLog;
  throttle: SignInThrottle;
  lockout: CodeLockout;
  rememberedBrowsers: RememberedBrowsers;
  externalLogins: ExternalLoginManager;
  /** Every second factor, in the order the Send Code page offers them. */
  factors: readonly SecondFactor[];
  pendingTtlMs?: number;
}

/** What the browser brings to a sign-in besides the credential. */
export interface SignInRequest {
  rememberMe: boolean;
  returnUrl: string;
  /** The browser's "remember this browser" token, if any: it may stand in for the second factor. */
  rememberedBrowserToken?: string;
  context?: AuditContext;
}

export interface PasswordSignInRequest extends SignInRequest {
  email: string;
  password: string;
  ip: string | undefined;
  /** The browser's sign-in device token, if any (sign-in-throttle.ts). */
  deviceToken?: string;
}

/** Both factors done (or the only one): the caller starts the session. */
export interface SignedIn {
  status: 'SignedIn';
  user: User;
  rememberMe: boolean;
  returnUrl: string;
  /** When the first factor was passed (ms): the session's absolute lifetime counts from here. */
  signedInAt: number;
}

export type SignInOutcome =
  | SignedIn
  | { status: 'RequiresTwoFactor'; pending: PendingSignIn }
  | LockedOut
  | { status: 'NotAllowed' }
  | { status: 'Throttled'; retryAt: Date }
  | { status: 'Failed' };

export type ExternalSignInOutcome = Exclude<SignInOutcome, { status: 'Throttled' | 'Failed' }> | { status: 'NoAccount' };

/** A pending sign-in resumed in this request, with its user (from `resumePending` only). */
export interface PendingStep {
  readonly pending: PendingSignIn;
  readonly user: User;
}

export type SendTwoFactorCodeResult = SendCodeResult | { status: 'InvalidProvider' } | LockedOut;

export type VerifyCodeOutcome =
  (SignedIn & { rememberedBrowserToken?: string }) | { status: 'Failed'; attemptsLeft: number } | LockedOut | { status: 'Expired' };

/**
 * The whole sign-in conversation, top to bottom (ASP.NET Identity's SignInManager): a first
 * factor (password, with its throttle, or an external login), then lockout and confirmation,
 * then a remembered browser or a pending second factor, then a code from one of the user's
 * factors, then completion. It never sees a request: the web layer turns outcomes into
 * sessions and pages, and keeps the pending state in the session.
 */
export class SignInManager {
  constructor(private readonly deps: SignInManagerDeps) {}

  // ---- First factor ------------------------------------------------------------------------

  /** PasswordSignIn. The account is looked up once; the attempt is counted before any hashing. */
  async passwordSignIn(request: PasswordSignInRequest): Promise<SignInOutcome> {
    const { users, audit, knex, throttle } = this.deps;
    const { email, password, context } = request;
    const user = await users.findByEmail(email);
    const verdict = await throttle.hit({ email, user, ip: request.ip, deviceToken: request.deviceToken, context });
    if (!verdict.allowed) return { status: 'Throttled', retryAt: verdict.retryAt };
    if (!user) {
      // Don't reveal that the user does not exist: spend one argon2 verification anyway.
      await users.checkPassword({ passwordHash: null } as User, password);
      await audit.record(knex, { type: 'SignInFailed', detail: { reason: 'UnknownUser' }, context });
      return { status: 'Failed' };
    }
    if (!(await users.checkPassword(user, password))) {
      await audit.record(knex, { userId: user.id, type: 'SignInFailed', detail: { reason: 'WrongPassword' }, context });
      return { status: 'Failed' };
    }
    // Lockout and confirmation are revealed only to someone who knows the password.
    return this.afterFirstFactor(user, 'password', request);
  }

  /** ExternalLoginSignIn: a login is only ever found by (provider, key), never by address. */
  async externalSignIn(login: UserLoginInfo, request: SignInRequest): Promise<ExternalSignInOutcome> {
    const user = await this.deps.externalLogins.findByLogin(login.loginProvider, login.providerKey);
    if (!user) return { status: 'NoAccount' };
    // Local two-factor still applies: the provider's sign-in is only the first factor.
    return this.afterFirstFactor(user, login.loginProvider, request);
  }

  /**
   * SignInOrTwoFactor, the same after every first factor, so none can skip the second: a
   * remembered browser signs in at once; otherwise the pending state starts.
   */
  private async afterFirstFactor(
    user: User,
    method: string,
    request: SignInRequest,
  ): Promise<Exclude<SignInOutcome, { status: 'Throttled' | 'Failed' }>> {
    const { audit, knex, clock, rememberedBrowsers } = this.deps;
    const { context, rememberMe, returnUrl } = request;
    const now = clock();
    if (isLockedOut(user, now)) {
      await audit.record(knex, { userId: user.id, type: 'SignInLockedOut', detail: { method }, context });
      return { status: 'LockedOut', until: user.lockoutEnd! };
    }
    if (!user.emailConfirmed) {
      await audit.record(knex, { userId: user.id, type: 'SignInNotAllowed', detail: { method, reason: 'EmailNotConfirmed' }, context });
      return { status: 'NotAllowed' };
    }
    const signedIn: SignedIn = { status: 'SignedIn', user, rememberMe, returnUrl, signedInAt: now.getTime() };
    if (!user.twoFactorEnabled) {
      await audit.record(knex, { userId: user.id, type: 'SignedIn', detail: { method }, context });
      return signedIn;
    }
    const token = request.rememberedBrowserToken;
    if (token && (await rememberedBrowsers.isTwoFactorClientRemembered(user, token))) {
      await rememberedBrowsers.recordRememberedSignIn(user, token, method, context);
      return signedIn;
    }
    const pending = { userId: user.id, securityStamp: user.securityStamp, startedAt: now.getTime(), rememberMe, returnUrl, method };
    return { status: 'RequiresTwoFactor', pending };
  }

  // ---- Second factor -----------------------------------------------------------------------

  isPendingFresh(pending: PendingSignIn): boolean {
    return isPendingFresh(pending, this.deps.clock().getTime(), this.deps.pendingTtlMs);
  }

  /**
   * Resumes a pending sign-in, once per request: the user behind it, if it is still valid
   * (fresh, same stamp, 2FA still on). The code steps below take the step this returns, so the
   * user is loaded once and checked right before it is used.
   */
  async resumePending(pending: PendingSignIn): Promise<PendingStep | undefined> {
    if (!this.isPendingFresh(pending)) return undefined;
    const user = await this.deps.store.findById(this.deps.knex, pending.userId);
    // A password change or 2FA change since the first factor voids the pending sign-in.
    if (!user || !user.twoFactorEnabled || !safeEqual(user.securityStamp, pending.securityStamp)) return undefined;
    return { pending, user };
  }

  /** The factors this user can use now, for the Send Code page: name and masked destination. */
  factorsOf(user: User): Array<{ name: string; hint?: string }> {
    return this.deps.factors
      .filter((factor) => factor.isAvailable(user))
      .map((factor) => ({ name: factor.name, hint: factor.hint?.(user) }));
  }

  private factor(user: User, name: string): SecondFactor | undefined {
    return this.deps.factors.find((factor) => factor.name === name && factor.isAvailable(user));
  }

  /** SendCode: a code to one of the user's own factors; anything else sends nothing. */
  async sendCode(step: PendingStep, factorName: string, context?: AuditContext): Promise<SendTwoFactorCodeResult> {
    const { user } = step;
    if (isLockedOut(user, this.deps.clock())) return { status: 'LockedOut', until: user.lockoutEnd! };
    const factor = this.factor(user, factorName);
    if (!factor) return { status: 'InvalidProvider' };
    // A factor whose code the user already holds has nothing to send.
    return factor.send ? factor.send(user, context) : { status: 'Sent' };
  }

  /** Demo mode only: the code last sent for this factor. */
  async demoCode(user: User, factorName: string): Promise<string | undefined> {
    return this.factor(user, factorName)?.demoCode?.(user);
  }

  /**
   * VerifyCode, then completion. The attempt is counted before the code is checked (lockout.ts),
   * and "remember this browser" is granted only here, after both factors.
   */
  async verifyCode(
    step: PendingStep,
    factorName: string,
    code: string,
    options: { rememberMe: boolean; rememberBrowser: boolean; previousBrowserToken?: string; context?: AuditContext },
  ): Promise<VerifyCodeOutcome> {
    const { knex, audit, lockout, rememberedBrowsers } = this.deps;
    const { context } = options;
    const { pending, user } = step;
    const factor = this.factor(user, factorName);
    if (!factor) return { status: 'Expired' };
    const attempt = await lockout.countAttempt(user, factorName, context);
    if (attempt.status === 'Gone') return { status: 'Expired' };
    if (attempt.status === 'LockedOut') return attempt;
    if (!(await factor.verify(user, code))) {
      const verdict = await lockout.failed(user, factorName, attempt.attempt, context);
      return verdict.status === 'LockedOut' ? verdict : { status: 'Failed', attemptsLeft: lockout.attemptsLeft(attempt.attempt) };
    }
    await lockout.succeeded(user);
    await audit.record(knex, { userId: user.id, type: 'SignedIn', detail: { method: 'two-factor', provider: factorName }, context });
    const rememberedBrowserToken = options.rememberBrowser
      ? await rememberedBrowsers.rememberTwoFactorClient(user, options.previousBrowserToken, context)
      : undefined;
    return {
      status: 'SignedIn',
      user,
      rememberMe: options.rememberMe,
      returnUrl: pending.returnUrl,
      signedInAt: pending.startedAt,
      rememberedBrowserToken,
    };
  }

  // ---- After -------------------------------------------------------------------------------

  /** The sign-in device token to give this browser now, if it needs one (sign-in-throttle.ts). */
  deviceTokenFor(user: User, current: string | undefined): string | undefined {
    return this.deps.throttle.deviceTokenFor(user.email, current);
  }

  /** After a successful password reset: the owner proved control of the address. */
  async clearThrottle(user: User): Promise<void> {
    await this.deps.throttle.clearAccount(user.email, user);
  }

  async signOut(userId: string, context?: AuditContext): Promise<void> {
    await this.deps.audit.record(this.deps.knex, { userId, type: 'SignedOut', context });
  }
}
