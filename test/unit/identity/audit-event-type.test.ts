import { assertType, describe, expectTypeOf, it } from 'vitest';
import type { AuditEvent, AuditEventType } from '../../../src/db/stores/audit-log.js';

// These checks run in `tsc --noEmit -p .` (test/ is in tsconfig's include): if AuditEventType
// were open again, the `@ts-expect-error` lines would no longer be errors and tsc would fail.
describe('AuditEventType', () => {
  it('accepts the event names the app writes', () => {
    assertType<AuditEventType>('SignedIn');
    assertType<AuditEventType>('SignInThrottled');
    assertType<AuditEvent>({ userId: null, type: 'PasswordResetNotSent' });
  });

  it('rejects a name that is not in the union, so a typo cannot start a new event', () => {
    // @ts-expect-error 'SignedInn' is not an audit event type
    assertType<AuditEventType>('SignedInn');
    // @ts-expect-error an event must use one of the known names
    assertType<AuditEvent>({ userId: null, type: 'SomethingNew' });
    expectTypeOf<string>().not.toExtend<AuditEventType>();
  });
});
