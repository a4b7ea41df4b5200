/**
 * Attack catalogue, group H: response headers. Cases 71, 72, 73, 74.
 *
 * Already covered elsewhere, and checked to do what the case asks:
 * - 71-74: test/integration/web/http-basics.test.ts "sends security headers on every page" (the home page, and
 *          no-referrer on confirm-email); test/integration/web/database-down.test.ts "answers 503 pages and a 503 health check, without a stack trace"
 * The tests below check every kind of response (pages, redirects, errors, JSON, static files)
 * and the pages that carry a token in their address.
 *
 * Referrer-Policy: Gatehouse sends `same-origin` everywhere (src/app.ts: "same-origin: other
 * sites never see our URLs, and our own form posts keep their Origin header for the CSRF
 * origin check. Pages with a token in the URL use no-referrer."), and `no-referrer` where a
 * token is in the address, which is what the catalogue asks for at least on reset/confirm pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGoogle, type FakeGoogle } from '../fakes/fake-google.js';
import { consentAtProvider } from '../helpers/external-login.js';
import { demoLinkFrom, getCsrf, localPath, postForm, setup, signedInAgent, type World } from '../helpers/setup.js';
import { account, PASSWORD } from './helpers.js';

let world: World;
let google: FakeGoogle;
beforeAll(async () => {
  google = await startFakeGoogle();
  world = await setup({ env: google.env });
  await account(world, 'headers@example.com');
});
afterAll(async () => {
  await world.close();
  await google.close();
});

type Res = { status: number; headers: Record<string, string>; text: string };

function expectSecurityHeaders(res: Res, what: string) {
  const h = res.headers;
  expect(h['strict-transport-security'], what).toMatch(/max-age=(\d+); includeSubDomains/);
  expect(Number(/max-age=(\d+)/.exec(h['strict-transport-security'])![1]), what).toBeGreaterThanOrEqual(31_536_000);
  const csp = h['content-security-policy'] ?? '';
  for (const directive of [
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "script-src 'self'",
  ]) {
    expect(csp, `${what}: ${directive}`).toContain(directive);
  }
  expect(csp, what).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(h['x-content-type-options'], what).toBe('nosniff');
  expect(h['cross-origin-opener-policy'], what).toBe('same-origin');
  expect(h['referrer-policy'], what).toMatch(/^(same-origin|no-referrer|strict-origin)$/);
  expect(h['x-powered-by'], what).toBeUndefined();
}

describe('cases 71-74: headers on every kind of response', () => {
  it('pages, redirects, errors, JSON and static files all carry them', async () => {
    const signedIn = await signedInAgent(world, 'headers@example.com');
    const anonymous = world.agent();
    const _csrf = await getCsrf(anonymous, '/account/register');
    // Each with the status it is named for: a header check on the wrong kind of response proves nothing.
    const responses: Array<[string, number, Res]> = [
      ['home', 200, await anonymous.get('/')],
      ['login form', 200, await anonymous.get('/account/login')],
      ['manage (signed in)', 200, await signedIn.get('/manage')],
      ['redirect to login', 302, await anonymous.get('/manage')],
      [
        'redirect after sign-in',
        303,
        await postForm(world.agent(), '/account/login', { email: 'headers@example.com', password: PASSWORD }),
      ],
      ['404', 404, await anonymous.get('/no/such/page')],
      ['403 (CSRF)', 403, await anonymous.post('/account/login').type('form').send({ email: 'x' })],
      [
        '413',
        413,
        await anonymous
          .post('/account/register')
          .type('form')
          .send({ _csrf, padding: 'x'.repeat(200_000) }),
      ],
      ['400 (bad JSON)', 400, await anonymous.post('/account/login').set('Content-Type', 'application/json').send('{"email":')],
      ['health (JSON)', 200, await anonymous.get('/health')],
      ['stylesheet', 200, await anonymous.get('/css/site.css')],
      ['bootstrap', 200, await anonymous.get('/css/bootstrap.min.css')],
      ['HEAD', 200, await anonymous.head('/')],
      ['OPTIONS', 200, await anonymous.options('/account/login')],
    ];
    for (const [what, status, res] of responses) {
      expect(res.status, what).toBe(status);
      expectSecurityHeaders(res, `${what} (${res.status})`);
    }
  });

  it('no page has inline script or event handlers (so the CSP needs no unsafe-inline)', async () => {
    const agent = await signedInAgent(world, 'headers@example.com');
    for (const path of [
      '/',
      '/account/login',
      '/account/register',
      '/account/forgot-password',
      '/manage',
      '/manage/change-password',
      '/manage/add-phone-number',
      '/manage/logins',
      '/no/such/page',
    ]) {
      const html = (await agent.get(path)).text;
      expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(html, path).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html, path).not.toMatch(/javascript:/i);
    }
  });

  it('in production: HSTS and upgrade-insecure-requests as well', async () => {
    const prod = await setup({
      env: { NODE_ENV: 'production', SESSION_SECRET: 'production-secret-production-secret-0123', APP_BASE_URL: 'https://gatehouse.test' },
    });
    try {
      const res = await prod.agent().get('/account/login');
      expectSecurityHeaders(res, 'production login');
      expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    } finally {
      await prod.close();
    }
  });
});

describe('case 73: Referrer-Policy on pages whose address holds a token', () => {
  it('is no-referrer on confirm-email, reset-password and the Google callback', async () => {
    const registered = await postForm(world.agent(), '/account/register', {
      email: 'referrer@example.com',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    const confirm = await world.agent().get(localPath(demoLinkFrom(registered.text)));
    expect(confirm.status).toBe(200);
    expect(confirm.headers['referrer-policy']).toBe('no-referrer');
    const forgot = await postForm(world.agent(), '/account/forgot-password', { email: 'referrer@example.com' });
    const reset = await world.agent().get(localPath(demoLinkFrom(forgot.text)));
    expect(reset.status).toBe(200);
    expect(reset.text).toContain('name="code"');
    expect(reset.headers['referrer-policy']).toBe('no-referrer');
    // A failed callback renders a page at an address holding the code and state.
    const agent = world.agent();
    google.signInAs({ sub: 'g-referrer', email: 'referrer@gmail.com', email_verified: true });
    const start = await postForm(agent, '/account/external-login', { provider: 'Google', returnUrl: '/' }, '/account/login');
    const callback = new URL(await consentAtProvider(start.headers.location), 'http://x');
    callback.searchParams.set('state', 'x'.repeat(43));
    const failed = await agent.get(callback.pathname + callback.search);
    expect(failed.text).toContain('Unsuccessful login with service.');
    expect(failed.headers['referrer-policy']).toBe('no-referrer');
  });
});

describe('case 74: errors', () => {
  it('a 500 shows a generic page: no stack trace, no error message, no file paths (outside development)', async () => {
    const signIn = world.services.signIn;
    const original = signIn.passwordSignIn;
    signIn.passwordSignIn = async () => {
      throw new Error('db password=hunter2 at /srv/gatehouse/src/identity/sign-in-manager.ts:42');
    };
    try {
      const res = await postForm(world.agent(), '/account/login', { email: 'headers@example.com', password: PASSWORD });
      expect(res.status).toBe(500);
      expect(res.text).toContain('An error occurred while processing your request.');
      expect(res.text).not.toMatch(/hunter2|sign-in-manager|\.ts:\d+|at [\w.]+ \(/);
      expectSecurityHeaders(res, '500');
    } finally {
      signIn.passwordSignIn = original;
    }
  });
});
