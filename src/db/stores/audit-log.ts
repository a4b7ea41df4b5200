import type { Queryable } from '../queryable.js';

/**
 * Every event type written to `audit_events`, and no other: a new event needs a name here first, so
 * a typo cannot create an event nobody searches for. The names are stored as written; renaming
 * one would split its history in the table.
 */
export type AuditEventType =
  // Registration and the account's life
  | 'UserRegistered'
  | 'RegistrationForExistingEmail'
  | 'ExternalRegistrationForExistingEmail'
  | 'EmailConfirmed'
  | 'UnconfirmedAccountDeleted'
  // Sign-in and sign-off
  | 'SignedIn'
  | 'SignInFailed'
  | 'SignInNotAllowed'
  | 'SignInLockedOut'
  | 'SignInThrottled'
  | 'SignedOut'
  // Second factor
  | 'SecurityCodeSent'
  | 'SecurityCodeRateLimited'
  | 'SecurityCodeNotDelivered'
  | 'TwoFactorFailed'
  | 'TwoFactorLockedOut'
  | 'LockedOut'
  | 'TwoFactorEnabled'
  | 'TwoFactorDisabled'
  | 'BrowserRemembered'
  | 'BrowserForgotten'
  | 'PhoneNumberAdded'
  | 'PhoneNumberRemoved'
  | 'PhoneNumberVerificationFailed'
  // Passwords
  | 'PasswordChanged'
  | 'PasswordSet'
  | 'PasswordReset'
  | 'PasswordResetRequested'
  | 'PasswordResetNotSent'
  | 'PasswordResetFailed'
  | 'PasswordResetThrottled'
  | 'SecurityStampUpdated'
  // External logins
  | 'ExternalLoginAdded'
  | 'ExternalLoginAddRefused'
  | 'ExternalLoginRemoved'
  | 'ExternalLoginRemoveRefused'
  | 'ExternalLoginFailed'
  // Administration (CLI)
  | 'AdminSeeded'
  | 'UserCreatedByAdmin'
  | 'RoleAdded'
  | 'UserUnlocked';

export interface AuditContext {
  ip?: string | null;
  userAgent?: string | null;
}

export interface AuditEvent {
  userId?: string | null;
  type: AuditEventType;
  detail?: Record<string, unknown>;
  context?: AuditContext;
}

/** Appends to `audit_events`. Never put a password, code, token or session id in `detail`. */
export class AuditLog {
  async record(db: Queryable, event: AuditEvent): Promise<void> {
    await db('audit_events').insert({
      user_id: event.userId ?? null,
      event_type: event.type,
      ip: event.context?.ip ?? null,
      user_agent: event.context?.userAgent?.slice(0, 512) ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    });
  }

  /** Whether this user has an event of this type whose detail contains `detail` (jsonb @>). */
  async hasEvent(db: Queryable, userId: string, type: AuditEventType, detail: Record<string, unknown> = {}): Promise<boolean> {
    const row = await db('audit_events')
      .where({ user_id: userId, event_type: type })
      .whereRaw('detail @> ?::jsonb', [JSON.stringify(detail)])
      .first('id');
    return row !== undefined;
  }
}
