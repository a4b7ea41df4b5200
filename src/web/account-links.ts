import type { AccountLinks } from '../identity/account-links.js';

/**
 * Links in mail come from APP_BASE_URL only, never from a request's Host header (an attacker
 * could send a reset link to their own host). The paths are the routes in routes.ts.
 */
export function createAccountLinks(appBaseUrl: string): AccountLinks {
  const link = (path: string, query: Record<string, string> = {}) => {
    const search = new URLSearchParams(query).toString();
    return `${appBaseUrl}${path}?${search}`;
  };
  return {
    logIn: () => link('/account/login'),
    forgotPassword: () => link('/account/forgot-password'),
    confirmEmail: (userId, code) => link('/account/confirm-email', { userId, code }),
    resetPassword: (userId, code) => link('/account/reset-password', { userId, code }),
  };
}
