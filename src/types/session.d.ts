import 'express-session';
import type { PendingSignIn } from '../identity/sign-in/pending-sign-in.js';

declare module 'express-session' {
  interface SessionData {
    /** Signed-in user; only set after every required factor. */
    userId?: string;
    /** The user's security stamp when this session signed in: a change ends the session. */
    securityStamp?: string;
    /** When the user signed in (ms), for the absolute session lifetime. */
    signedInAt?: number;
    /** Keep the cookie past the browser session ("Remember me"). */
    rememberMe?: boolean;
    /** Password step passed, second factor still to come (identity/sign-in/pending-sign-in.ts). */
    twoFactor?: PendingSignIn;
    /** Set at sign-in: the next page checks this browser's sign-in device cookie (sign-in-device-cookie.ts). */
    deviceCheckDue?: boolean;
  }
}
