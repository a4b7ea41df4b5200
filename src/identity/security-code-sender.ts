import crypto from 'node:crypto';
import type { Queryable } from '../db/queryable.js';
import type { SendLimits } from '../config-two-factor.js';
import { emails, sms } from '../messages.js';
import type { Outbox } from '../messaging/outbox.js';
import type { AuditContext, AuditLog } from '../db/stores/audit-log.js';
import type { RateLimiter, RateLimitRule } from './rate-limiter.js';
import type { TokenPurpose, TokenStore } from './token-store.js';
import type { CodeDestination } from './two-factor-providers.js';
import type { User, UserStore } from '../db/stores/user-store.js';
import type { Clock } from '../clock.js';

export interface SecurityCodeSenderDeps {
  knex: Queryable;
  store: UserStore;
  clock: Clock;
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

export type SendCodeResult =
  | { status: 'Sent' }
  | { status: 'NotDelivered' }
  /** `sentAt`: refused because the code sent then is still unused (the short interval). */
  | { status: 'RateLimited'; retryAt: Date; sentAt?: Date };

/** A limit said no: thrown inside the sending transaction so that it rolls back. */
class SendRefused extends Error {
  constructor(readonly result: Extract<SendCodeResult, { status: 'RateLimited' }>) {
    super('refused by a sending limit');
  }
}

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

  /**
   * Sends a fresh code unless a limit says no. The checks, the counting and the new code happen
   * in one transaction on the user's locked row: of parallel requests for one user exactly one
   * gets past the interval, and a refused request is rolled back, so it counts toward no limit.
   */
  async send(request: SendCodeRequest): Promise<SendCodeResult> {
    const { knex, audit, outbox } = this.deps;
    const { user, purpose, destination, provider, context } = request;
    let outboxId: number;
    try {
      outboxId = await knex.transaction(async (trx) => {
        await this.deps.store.lock(trx, user.id);
        await this.refuseWithinInterval(trx, request);
        const verdict = await this.deps.rateLimiter.hitAll(this.hourlyLimits(user, destination.target, context), trx);
        if (!verdict.allowed) throw new SendRefused({ status: 'RateLimited', retryAt: verdict.resetAt });
        return this.issue(trx, request);
      });
    } catch (err) {
      if (!(err instanceof SendRefused)) throw err;
      // Nothing is issued or sent past a limit: SMS pumping and mail bombing cost us nothing.
      await audit.record(knex, { userId: user.id, type: 'SecurityCodeRateLimited', detail: { purpose, provider }, context });
      return err.result;
    }
    const status = await outbox.deliverNow(outboxId);
    // 'sending' means no answer within the time limit: the code may still arrive, so the user
    // goes on to enter it (and can ask for a new one there); only a known failure is reported.
    if (status === 'pending' || status === 'failed') {
      await audit.record(knex, { userId: user.id, type: 'SecurityCodeNotDelivered', detail: { purpose, provider, outboxId }, context });
      return { status: 'NotDelivered' };
    }
    return { status: 'Sent' };
  }

  /**
   * The short interval: while the code last sent to this destination is still unused, the next
   * waits `intervalMs` after it. Per destination for sign-in codes (a phone code does not hold
   * up an email code), and a code used or replaced by another does not hold up anything. A new
   * number's verification code waits for the user's last one whatever its number: those numbers
   * are the user's choice, and cycling through them is how SMS pumping works.
   */
  private async refuseWithinInterval(trx: Queryable, request: SendCodeRequest): Promise<void> {
    const { intervalMs } = this.deps.limits;
    if (intervalMs <= 0) return;
    const target = request.purpose === 'TwoFactor' ? request.destination.target : undefined;
    const sentAt = await this.deps.tokens.outstandingSince(trx, request.user.id, request.purpose, target);
    const retryAt = sentAt && new Date(sentAt.getTime() + intervalMs);
    if (sentAt && retryAt! > this.deps.clock()) throw new SendRefused({ status: 'RateLimited', retryAt: retryAt!, sentAt });
  }

  private async issue(trx: Queryable, request: SendCodeRequest): Promise<number> {
    const { tokens, outbox, audit, codeTtlMs } = this.deps;
    const { user, purpose, destination, provider, context } = request;
    const code = await tokens.issue(trx, {
      userId: user.id,
      purpose,
      target: destination.target,
      securityStamp: user.securityStamp,
      ttlMs: codeTtlMs,
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
  }

  /** Per number or address, per user and per IP: each bounds a different kind of abuse. */
  private hourlyLimits(user: User, target: string, context?: AuditContext): Array<[string, RateLimitRule]> {
    const { perTargetPerHour, perUserPerHour, perIpPerHour } = this.deps.limits;
    return [
      [`code-send:target:${target.toLowerCase()}`, { limit: perTargetPerHour, windowMs: HOUR }],
      [`code-send:user:${user.id}`, { limit: perUserPerHour, windowMs: HOUR }],
      [`code-send:ip:${context?.ip ?? 'unknown'}`, { limit: perIpPerHour, windowMs: HOUR }],
    ];
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
