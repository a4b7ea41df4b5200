import type { Queryable } from '../../db/queryable.js';
import type { AuditContext } from '../../db/stores/audit-log.js';
import type { SecurityCodeSender, SendCodeResult } from '../security-code-sender.js';
import type { TokenStore } from '../token-store.js';
import { destinationFor, type CodeDestination, type TwoFactorProvider } from '../two-factor-providers.js';
import type { User } from '../../db/stores/user-store.js';

/**
 * A second factor, as the sign-in conversation sees it. SMS and email codes are generated,
 * stored and sent on request; a factor whose code the user already holds (an authenticator
 * app, a recovery code) has no `send`. Adding a factor means writing one of these and listing
 * it in the composition: the conversation and the controllers do not change.
 */
export interface SecondFactor {
  /** What the Send Code page offers and the forms post ('Phone Code', 'Email Code', ...). */
  readonly name: string;
  /** Whether this user can use the factor now (a verified phone, a confirmed address, ...). */
  isAvailable(user: User): boolean;
  /** Where the code goes, masked for the Send Code page ('•••• 4567', 'a•••@example.com'). */
  hint?(user: User): string | undefined;
  /** Generates a fresh code and sends it (replacing any earlier one). */
  send?(user: User, context?: AuditContext): Promise<SendCodeResult>;
  /** Checks a code; a right one is used up, so it works once. */
  verify(user: User, code: string): Promise<boolean>;
  /** Demo mode only: the code last sent, as the outbox recorded it. */
  demoCode?(user: User): Promise<string | undefined>;
}

export interface CodeFactorDeps {
  knex: Queryable;
  tokens: TokenStore;
  codes: SecurityCodeSender;
}

/** The seed's two factors: a six-digit code sent by SMS to the verified phone, or by email. */
export function codeFactor(name: TwoFactorProvider, deps: CodeFactorDeps): SecondFactor {
  const { knex, tokens, codes } = deps;
  return {
    name,
    isAvailable: (user) => destinationFor(user, name) !== undefined,
    hint(user) {
      const destination = destinationFor(user, name);
      return destination && maskDestination(destination);
    },
    send(user, context) {
      const destination = destinationFor(user, name)!;
      return codes.send({ user, purpose: 'TwoFactor', destination, provider: name, context });
    },
    verify(user, code) {
      const destination = destinationFor(user, name)!;
      return tokens.consume(knex, {
        userId: user.id,
        purpose: 'TwoFactor',
        target: destination.target,
        securityStamp: user.securityStamp,
        secret: code,
      });
    },
    async demoCode(user) {
      const destination = destinationFor(user, name);
      return destination && codes.demoCode(user.id, 'TwoFactor', destination.target);
    },
  };
}

/**
 * Enough of a number or address for its owner to recognise it, and little for anyone else: the
 * last four digits of a phone, the first letter and the domain of an address.
 */
export function maskDestination(destination: CodeDestination): string {
  if (destination.channel === 'sms') return `•••• ${destination.target.slice(-4)}`;
  const at = destination.target.lastIndexOf('@');
  return `${[...destination.target.slice(0, at)][0] ?? ''}•••${destination.target.slice(at)}`;
}
