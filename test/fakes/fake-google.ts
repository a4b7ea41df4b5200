import type { IncomingMessage } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

/** The OpenID user info Google returns for a person. */
export interface GoogleUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface FakeGoogle {
  /** The GOOGLE_* variables that point the app at this server. */
  env: Record<string, string>;
  origin: string;
  /** The next consent is given as this person. */
  signInAs(user: GoogleUser): void;
  /** The next authorization ends with ?error=... (access_denied: the person said no). */
  failNextAuthorization(error: string): void;
  /** Token requests, for assertions (client id, PKCE verifier, redirect_uri). */
  tokenRequests: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export const GOOGLE_CLIENT_ID = 'gatehouse-test-client';
const GOOGLE_CLIENT_SECRET = 'gatehouse-test-secret';

interface IssuedCode {
  user: GoogleUser;
  redirectUri: string;
  used: boolean;
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  return new URL(req.url ?? '/', 'http://x').searchParams.get('access_token') ?? undefined;
}

/**
 * A real OAuth 2 / OpenID server on loopback (oauth2-mock-server), made stricter where tests
 * need it to behave like Google: codes work once and only with the right client secret and
 * redirect_uri; user info answers only for a token it issued, with the chosen person's claims.
 */
export async function startFakeGoogle(port = 0): Promise<FakeGoogle> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(port, '127.0.0.1');
  const base = server.issuer.url!.replace(/\/$/, '');
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, GoogleUser>();
  const tokenRequests: Array<Record<string, unknown>> = [];
  let nextUser: GoogleUser = { sub: '100000000000000000001', email: 'someone@gmail.com', email_verified: true, name: 'Someone' };
  let nextError: string | undefined;

  server.service.on('beforeAuthorizeRedirect', ({ url }: { url: URL }, req: IncomingMessage) => {
    const query = new URL(req.url ?? '/', base).searchParams;
    const code = url.searchParams.get('code');
    if (nextError || query.get('client_id') !== GOOGLE_CLIENT_ID || !code) {
      url.searchParams.delete('code');
      url.searchParams.set('error', nextError ?? 'invalid_client');
      nextError = undefined;
      return;
    }
    codes.set(code, { user: nextUser, redirectUri: query.get('redirect_uri') ?? '', used: false });
  });

  server.service.on(
    'beforeResponse',
    (response: { statusCode: number; body: Record<string, unknown> }, req: IncomingMessage & { body: Record<string, unknown> }) => {
      const body = req.body;
      tokenRequests.push(body);
      const issued = codes.get(String(body.code));
      const clientOk = body.client_id === GOOGLE_CLIENT_ID && body.client_secret === GOOGLE_CLIENT_SECRET;
      if (!issued || issued.used || !clientOk || body.redirect_uri !== issued.redirectUri) {
        response.statusCode = 400;
        response.body = { error: 'invalid_grant', error_description: 'Bad Request' };
        return;
      }
      issued.used = true;
      tokens.set(String(response.body.access_token), issued.user);
    },
  );

  server.service.on('beforeUserinfo', (response: { statusCode: number; body: unknown }, req: IncomingMessage) => {
    const user = tokens.get(bearer(req) ?? '');
    if (!user) {
      response.statusCode = 401;
      response.body = { error: 'invalid_token', error_description: 'Invalid Credentials' };
      return;
    }
    response.body = { ...user };
  });

  return {
    env: {
      GOOGLE_CLIENT_ID,
      GOOGLE_CLIENT_SECRET,
      GOOGLE_AUTHORIZATION_URL: `${base}/authorize`,
      GOOGLE_TOKEN_URL: `${base}/token`,
      GOOGLE_USERINFO_URL: `${base}/userinfo`,
    },
    origin: new URL(base).origin,
    signInAs: (user) => void (nextUser = user),
    failNextAuthorization: (error) => void (nextError = error),
    tokenRequests,
    close: () => server.stop(),
  };
}
