import crypto from 'node:crypto';
import type { Queryable } from '../db/queryable.js';
import type { SendLimits } from '../config-two-factor.js';
import { emails, sms } from '../messages.js';
import type { Outbox } from '../messaging/outbox.js';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import type { RateLimiter, RateLimitRule } from './rate-limiter.js';
import type { TokenPurpose, TokenStore } from './token-store.js';
import type { CodeDestination } from './two-factor-providers.js';
import type { User } from '../db/stores/user-store.js';

export interface SecurityCodeSenderDeps {
  knex: Queryable;
  tokens: TokenStore;
  outbox: Outbox;
  audit: AuditLog;
  rateLimiter: RateLimiter;
  codeTtlMs: number;
  limits: SendLimits;
}

export interface SendCodeRequest {
  user: User;
  purpose: Extract<TokenPurpose, 'TwoFactor' | 'PhoneNumberVerification'>;
  destination: CodeDestination;
  /** For the audit log: 'Phone Code', 'Email Code' or 'AddPhoneNumber'. */
  provider: string;
  context?: AuditContext;
}

export type SendCodeResult = { status: 'Sent' } | { status: 'NotDelivered' } | { status: 'RateLimited'; retryAt: Date };

const HOUR = 3_600_000;

/**
 * A six-digit code drawn at random and stored only as a keyed hash (TokenStore), rather than
 * the seed's TOTP over the security stamp. TOTP codes are stateless: they stay valid for the
 * whole 9-15 minute window, can be used again, and a resend leaves the old one working. A stored
 * code lives exactly as long as configured, works once, is replaced by the next one, and a
 * database leak reveals no usable code. Like the seed's, it is bound to user, purpose, target
 * (number or address) and security stamp.
 */
export const generateSecurityCode = () => crypto.randomInt(0, 1_000_000).toString().padStart(6, '0');

/** Issues, records and delivers security codes by SMS or email, within the sending limits. */
export class SecurityCodeSender {
  constructor(private readonly deps: SecurityCodeSenderDeps) {}

  async send(request: SendCodeRequest): Promise<SendCodeResult> {
    const { knex, audit, outbox } = this.deps;
    const { user, purpose, destination, provider, context } = request;
    const verdict = await this.deps.rateLimiter.hitAll(this.limitsFor(user, destination.target, context));
    if (!verdict.allowed) {
      // Nothing is issued or sent past a limit: SMS pumping and mail bombing cost us nothing.
      await audit.record(knex, { userId: user.id, type: 'SecurityCodeRateLimited', detail: { purpose, provider }, context });
      return { status: 'RateLimited', retryAt: verdict.resetAt };
    }
    const outboxId = await knex.transaction(async (trx) => {
      const code = await this.deps.tokens.issue(trx, {
        userId: user.id,
        purpose,
        target: destination.target,
        securityStamp: user.securityStamp,
        ttlMs: this.deps.codeTtlMs,
        secret: generateSecurityCode(),
      });
      await outbox.supersede(trx, user.id, purpose);
      const id = await outbox.enqueue(trx, this.messageFor(destination, code, user.id, purpose));
      await audit.record(trx, {
        userId: user.id,
        type: 'SecurityCodeSent',
        detail: { purpose, provider, channel: destination.channel },
        context,
      });
      return id;
    });
    const status = await outbox.deliverNow(outboxId);
    // 'sending' means no answer within the time limit: the code may still arrive, so the user
    // goes on to enter it (and can ask for a new one there); only a known failure is reported.
    if (status === 'pending' || status === 'failed') {
      await audit.record(knex, { userId: user.id, type: 'SecurityCodeNotDelivered', detail: { purpose, provider, outboxId }, context });
      return { status: 'NotDelivered' };
    }
    return { status: 'Sent' };
  }

  /** Per number or address, per user and per IP: each bounds a different kind of abuse. */
  private limitsFor(user: User, target: string, context?: AuditContext): Array<[string, RateLimitRule]> {
    const { perTargetPerHour, perUserPerHour, perIpPerHour, intervalMs } = this.deps.limits;
    const entries: Array<[string, RateLimitRule]> = [
      [`code-send:target:${target.toLowerCase()}`, { limit: perTargetPerHour, windowMs: HOUR }],
      [`code-send:user:${user.id}`, { limit: perUserPerHour, windowMs: HOUR }],
      [`code-send:ip:${context?.ip ?? 'unknown'}`, { limit: perIpPerHour, windowMs: HOUR }],
    ];
    if (intervalMs > 0) {
      entries.push([`code-send:target-interval:${target.toLowerCase()}`, { limit: 1, windowMs: intervalMs }]);
      entries.push([`code-send:user-interval:${user.id}`, { limit: 1, windowMs: intervalMs }]);
    }
    return entries;
  }

  private messageFor(destination: CodeDestination, code: string, userId: string, purpose: string) {
    const common = { recipient: destination.target, secret: code, secretTtlMs: this.deps.codeTtlMs, userId, purpose };
    if (destination.channel === 'sms') return { channel: 'sms' as const, body: sms.securityCode(code), ...common };
    return { channel: 'email' as const, ...emails.securityCode(code), ...common };
  }

  /** Demo mode only: the code just sent, read back from the outbox where it was recorded. */
  async demoCode(userId: string, purpose: string, target: string): Promise<string | undefined> {
    const row = await this.deps.outbox.latest(this.deps.knex, target, purpose);
    if (!row || row.user_id !== userId || row.status !== 'recorded') return undefined;
    return row.secret ?? undefined;
  }
}
