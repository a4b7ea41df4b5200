import type { Queryable } from './user-store.js';

export type AuditEventType =
  | 'UserRegistered'
  | 'RegistrationForExistingEmail'
  | 'EmailConfirmed'
  | 'SignedIn'
  | 'SignInFailed'
  | 'SignInNotAllowed'
  | 'SignInLockedOut'
  | 'SignedOut'
  | 'LockedOut'
  | 'PasswordChanged'
  | 'PasswordSet'
  | 'PasswordReset'
  | 'PasswordResetRequested'
  | 'SecurityStampUpdated'
  | 'UserCreatedByAdmin'
  | 'RoleAdded'
  | 'UserUnlocked'
  | (string & {});

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

  async forUser(db: Queryable, userId: string, limit = 50) {
    return db('audit_events').where({ user_id: userId }).orderBy('id', 'desc').limit(limit);
  }
}
