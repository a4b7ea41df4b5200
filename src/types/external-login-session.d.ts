import 'express-session';
import type { ExternalLoginInfo } from '../identity/external-logins.js';
import type { ExternalAuthRequest } from '../web/google-auth.js';

declare module 'express-session' {
  interface SessionData {
    /** An OAuth round trip under way: its state nonce, PKCE verifier and purpose (google-auth.ts). */
    externalAuth?: ExternalAuthRequest;
    /** A provider's login with no account yet, waiting for ExternalLoginConfirmation. */
    pendingExternalLogin?: ExternalLoginInfo & { returnUrl: string; startedAt: number };
  }
}
