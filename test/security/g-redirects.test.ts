/**
 * Attack catalogue, group G: redirects. Cases 67, 68, 69, 70.
 *
 * Already covered elsewhere, and checked to do what the case asks:
 * - 67, 68: test/integration/account/login.test.ts "redirects only to local return URLs";
 *           test/unit/identity/safe-local-url.test.ts (every check, without HTTP)
 * - 69: test/integration/two-factor/sign-in-flow.test.ts "sends a visitor home when the return URL is not local",
 *       "keeps a local return URL through both steps, ..."; test/integration/external-login/google-sign-in.test.ts
 *       "signs the linked account straight in next time, to a local return URL only"
 * - 70: test/integration/external-login/google-sign-in.test.ts "sends the browser to the provider with state, PKCE and the fixed callback URL"
 * The tests below run the whole list of tricks over HTTP, at every step that carries a return URL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGoogle, type FakeGoogle } from '../fakes/fake-google.js';
import { consentAtProvider, googleRoundTrip, registerWithGoogle } from '../helpers/external-login.js';
import { csrfFrom, postForm, setup, type World } from '../helpers/setup.js';
import { clearSignInThrottle, passwordStep, relaxedSendLimits, twoFactorSignIn, userByEmail } from '../helpers/two-factor.js';
import { account, PASSWORD } from './helpers.js';

let world: World;
let google: FakeGoogle;
beforeAll(async () => {
  google = await startFakeGoogle();
  world = await setup({ env: { ...relaxedSendLimits, ...google.env, TRUST_PROXY: '1' } });
  await account(world, 'plain@example.com');
  await account(world, 'second@example.com', { twoFactor: true });
});
afterAll(async () => {
  await world.close();
  await google.close();
});
beforeEach(() => clearSignInThrottle(world));

/** Return URLs that leave the site, or only look local. */
const OFFSITE = [
  'https://evil.example',
  'http://evil.example/manage',
  'HTTPS://EVIL.EXAMPLE',
  'https:evil.example',
  '//evil.example',
  '///evil.example',
  '////evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '\\/evil.example',
  '/%2F%2Fevil.example',
  '/%2f/evil.example',
  '/%5Cevil.example',
  '/%5C%5Cevil.example',
  '%2F%2Fevil.example',
  '/%09/evil.example',
  '/\t/evil.example',
  '\t//evil.example',
  ' //evil.example',
  '/\u0000/evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'evil.example',
  '@evil.example',
];

describe('cases 67 and 68: return URLs on the login form and at sign-in', () => {
  it('the login form never carries an off-site return URL', async () => {
    for (const returnUrl of OFFSITE) {
      const res = await world.agent().get(`/account/login?returnUrl=${encodeURIComponent(returnUrl)}`);
      expect(res.status, JSON.stringify(returnUrl)).toBe(200);
      expect(res.text, JSON.stringify(returnUrl)).toContain('name="returnUrl" value="/"');
    }
  });

  it('a signed-in user is sent to "/" for every trick, and to a local path when it is one', async () => {
    for (const returnUrl of [...OFFSITE, '/manage']) {
      await clearSignInThrottle(world);
      // A fresh session each time: sign-in replaces it, and with it the token.
      const browser = world.agent();
      const token = csrfFrom((await browser.get('/account/login')).text);
      const res = await browser
        .post('/account/login')
        .type('form')
        .send({ email: 'plain@example.com', password: PASSWORD, returnUrl, _csrf: token });
      // A raw control character (tab, NUL) is refused by the input boundary with 400 and no
      // redirect at all (issue 14.8); every other trick signs in and goes home.
      const refused = /[\u0000-\u001f]/.test(returnUrl);
      expect(res.status, JSON.stringify(returnUrl)).toBe(refused ? 400 : 303);
      expect(res.headers.location, JSON.stringify(returnUrl)).toBe(refused ? undefined : returnUrl === '/manage' ? '/manage' : '/');
    }
  });

  it('local paths with odd but harmless characters stay on the site', async () => {
    for (const returnUrl of ['/manage?message=ChangePasswordSuccess', '/@evil.example', '/%252F%252Fevil.example']) {
      await clearSignInThrottle(world);
      const res = await postForm(world.agent(), '/account/login', { email: 'plain@example.com', password: PASSWORD, returnUrl });
      // Signed in first: a failed sign-in has no Location, and `new URL(undefined, base)` is on-site too.
      expect(res.status, returnUrl).toBe(303);
      expect(res.headers.location, returnUrl).toMatch(/^\/(?![/\\])/);
      const target = new URL(res.headers.location, 'http://gatehouse.test');
      expect(target.origin, returnUrl).toBe('http://gatehouse.test');
    }
  });
});

describe('case 69: the return URL carried through Send Code, Verify Code and the Google callback', () => {
  it('is checked at the password step and cannot be changed at Send Code or Verify Code', async () => {
    // Off-site at the start: home at the end.
    const { res: offsite } = await twoFactorSignIn(world, 'second@example.com', { login: { returnUrl: 'https://evil.example/' } });
    expect(offsite.headers.location).toBe('/');
    // Local at the start, off-site forged later: the pending sign-in's own URL wins.
    const { agent } = await passwordStep(world, 'second@example.com', undefined, { returnUrl: '/manage' });
    const sendPage = await agent.get('/account/send-code?returnUrl=%2F%2Fevil.example');
    expect(sendPage.text).toContain('name="returnUrl" value="/manage"');
    const { res } = await twoFactorSignIn(world, 'second@example.com', {
      agent,
      login: { returnUrl: '/manage' },
      verify: { returnUrl: 'https://evil.example/' },
    });
    expect(res.headers.location).toBe('/manage');
  });

  it('is checked at the end of the Google round trip, for sign-in and for two-factor after Google', async () => {
    await registerWithGoogle(world.agent(), google, { sub: 'g-redirect', email: 'redirect@gmail.com', email_verified: true });
    for (const returnUrl of ['https://evil.example/', '//evil.example', '/\\evil.example']) {
      const res = await googleRoundTrip(
        world.agent(),
        google,
        { sub: 'g-redirect' },
        {
          path: '/account/external-login',
          fields: { provider: 'Google', returnUrl },
          formPath: '/account/login',
        },
      );
      expect(res.headers.location, returnUrl).toBe('/');
    }
    const user = await userByEmail(world, 'redirect@gmail.com');
    await world.knex('users').where({ id: user.id }).update({ two_factor_enabled: true });
    const res = await googleRoundTrip(
      world.agent(),
      google,
      { sub: 'g-redirect' },
      {
        path: '/account/external-login',
        fields: { provider: 'Google', returnUrl: '//evil.example' },
        formPath: '/account/login',
      },
    );
    expect(res.headers.location).toBe('/account/send-code?returnUrl=%2F&rememberMe=false');
  });
});

describe('case 70: the OAuth redirect_uri', () => {
  it('is the configured one, whatever Host, X-Forwarded-Host or callback query the request brings', async () => {
    const agent = world.agent();
    const forged = { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' };
    const _csrf = csrfFrom((await agent.get('/account/login').set(forged)).text);
    google.signInAs({ sub: 'g-redirect-uri', email: 'uri@gmail.com', email_verified: true });
    const start = await agent.post('/account/external-login').set(forged).type('form').send({ provider: 'Google', returnUrl: '/', _csrf });
    expect(start.status).toBe(302);
    expect(new URL(start.headers.location).searchParams.get('redirect_uri')).toBe('http://gatehouse.test/account/external-login-callback');
    const callback = new URL(await consentAtProvider(start.headers.location), 'http://x');
    callback.searchParams.set('redirect_uri', 'https://evil.example/steal');
    const res = await agent.get(callback.pathname + callback.search).set(forged);
    expect(res.status).toBe(303);
    expect(google.tokenRequests.at(-1)!.redirect_uri).toBe('http://gatehouse.test/account/external-login-callback');
  });
});
