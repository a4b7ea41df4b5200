/**
 * Attack catalogue, group A: CSRF. Cases 1, 2, 3, 4, 5, 6, 7, 8.
 *
 * Each case is treated as a class: every state-changing POST of the app (not only the one the
 * catalogue names) is tried with each kind of bad token, and "state unchanged" is checked in
 * the database. Already covered elsewhere, and checked to do what the case asks:
 * - 1: test/integration/passwords/change-password.test.ts "is for signed-in users only, and needs a CSRF token (A1)" (status only; the state check is here)
 * - 3: test/integration/web/csrf.test.ts "rotates the token at sign-in: the token from before is refused after"
 * - 4: test/integration/web/csrf.test.ts "refuses a token from another session (login CSRF)"
 * - 5: test/integration/web/csrf.test.ts "refuses a valid token on a request a browser marks as cross-site"
 * - 6: test/integration/web/csrf.test.ts "has no state change over GET" (log-off only; every route is here)
 * - 7: test/integration/external-login/google-sign-in.test.ts "refuses the external-login POST without a CSRF token",
 *      test/integration/external-login/manage-logins.test.ts "requires a CSRF token to start linking (A7)"
 * - 8: test/integration/web/csrf.test.ts "refuses a wrong token, an empty one, and one sent in the query string"
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGoogle, type FakeGoogle } from '../fakes/fake-google.js';
import { consentAtProvider } from '../helpers/external-login.js';
import { getCsrf, postForm, setup, signedInAgent, type Agent, type World } from '../helpers/setup.js';
import { clearSignInThrottle, relaxedSendLimits, twoFactorSignIn } from '../helpers/two-factor.js';
import { account, isSignedIn, PASSWORD, stateOf, tokenOf } from './helpers.js';

let world: World;
let google: FakeGoogle;
beforeAll(async () => {
  google = await startFakeGoogle();
  world = await setup({ env: { ...relaxedSendLimits, ...google.env } });
  await account(world, 'victim@example.com', { twoFactor: true });
  await account(world, 'attacker@example.com');
  await account(world, 'other@example.com');
});
afterAll(async () => {
  await world.close();
  await google.close();
});
beforeEach(() => clearSignInThrottle(world));

const NEW = 'a new passphrase for the victim';

/** Every state-changing route, with fields that would change something if the token passed. */
const ROUTES: Array<[string, Record<string, string>]> = [
  ['/account/register', { email: 'csrf.new@example.com', password: NEW, confirmPassword: NEW }],
  ['/account/login', { email: 'attacker@example.com', password: PASSWORD }],
  ['/account/log-off', {}],
  ['/account/send-code', { selectedProvider: 'Phone Code' }],
  ['/account/verify-code', { provider: 'Phone Code', code: '123456' }],
  ['/account/cancel-sign-in', {}],
  ['/account/forgot-password', { email: 'victim@example.com' }],
  [
    '/account/reset-password',
    { userId: '00000000-0000-4000-8000-000000000000', password: NEW, confirmPassword: NEW, code: 'x'.repeat(43) },
  ],
  ['/account/external-login', { provider: 'Google', returnUrl: '/' }],
  ['/account/external-login-confirmation', { email: 'victim@example.com' }],
  ['/manage/add-phone-number', { phoneNumber: '+41 79 765 43 21' }],
  ['/manage/verify-phone-number', { phoneNumber: '+41797654321', code: '123456' }],
  ['/manage/remove-phone-number', {}],
  ['/manage/enable-two-factor', {}],
  ['/manage/disable-two-factor', {}],
  ['/manage/remember-browser', {}],
  ['/manage/forget-browser', {}],
  ['/manage/change-password', { oldPassword: PASSWORD, newPassword: NEW, confirmPassword: NEW }],
  ['/manage/set-password', { newPassword: NEW, confirmPassword: NEW }],
  ['/manage/link-login', { provider: 'Google' }],
  ['/manage/remove-login', { loginProvider: 'Google', providerKey: 'g-victim' }],
];

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** Ways to send a token that is not this session's token, in the body, a header or the URL. */
function badTokenRequests(agent: Agent, path: string, fields: Record<string, string>, own: string, foreign: string) {
  const swapLast = own.slice(0, -1) + (own.endsWith('A') ? 'B' : 'A');
  return {
    'no token': () => agent.post(path).type('form').send(fields),
    'an empty token': () =>
      agent
        .post(path)
        .type('form')
        .send({ ...fields, _csrf: '' }),
    'a token one character off': () =>
      agent
        .post(path)
        .type('form')
        .send({ ...fields, _csrf: swapLast }),
    "another session's token": () =>
      agent
        .post(path)
        .type('form')
        .send({ ...fields, _csrf: foreign }),
    'the token twice (an array)': () =>
      agent
        .post(path)
        .type('form')
        .send(`${form(fields)}&_csrf=${own}&_csrf=${own}`),
    'the token in the query string only': () => agent.post(`${path}?_csrf=${own}`).type('form').send(fields),
    'a wrong token in the x-csrf-token header': () => agent.post(path).set('x-csrf-token', foreign).type('form').send(fields),
    'a 50 kB token': () =>
      agent
        .post(path)
        .type('form')
        .send({ ...fields, _csrf: 'A'.repeat(50_000) }),
    'a look-alike token (Cyrillic A)': () =>
      agent
        .post(path)
        .type('form')
        .send({ ...fields, _csrf: `\u0410${own.slice(1)}` }),
    'the token inside a JSON array': () => agent.post(path).send({ ...fields, _csrf: [own] }),
    'the token as a JSON object': () => agent.post(path).send({ ...fields, _csrf: { toString: own } }),
  };
}

describe("case 1 (and 8): a state-changing POST without this session's token", () => {
  it('is refused with 403 on every route, for every kind of bad token, and changes nothing', async () => {
    const { agent } = await twoFactorSignIn(world, 'victim@example.com');
    expect(await isSignedIn(agent)).toBe(true);
    const own = await tokenOf(agent, '/manage');
    const foreign = await tokenOf(world.agent());
    const before = await stateOf(world, 'victim@example.com');
    for (const [path, fields] of ROUTES) {
      for (const [name, send] of Object.entries(badTokenRequests(agent, path, fields, own, foreign))) {
        const res = await send();
        expect(res.status, `${path} with ${name}`).toBe(403);
        expect(res.text, `${path} with ${name}`).toContain('This form has expired or was sent from another site.');
      }
      expect(await stateOf(world, 'victim@example.com'), path).toEqual(before);
      expect(await isSignedIn(agent), path).toBe(true);
    }
    // Control: the same browser's own token in the body is accepted.
    const ok = await agent.post('/account/log-off').type('form').send({ _csrf: own });
    expect(ok.status).toBe(303);
  });

  it('ChangePassword without a token leaves the password and the security stamp as they were', async () => {
    const agent = await signedInAgent(world, 'other@example.com');
    const before = await stateOf(world, 'other@example.com');
    const res = await agent
      .post('/manage/change-password')
      .type('form')
      .send({ oldPassword: PASSWORD, newPassword: NEW, confirmPassword: NEW });
    expect(res.status).toBe(403);
    const after = await stateOf(world, 'other@example.com');
    expect(after.user.password_hash).toBe(before.user.password_hash);
    expect(after.user.security_stamp).toBe(before.user.security_stamp);
    expect(await isSignedIn(agent)).toBe(true);
  });
});

describe("case 2: a token taken from another user's session", () => {
  it('is refused: tokens are bound to the session, not to "some signed-in user"', async () => {
    const attacker = await signedInAgent(world, 'attacker@example.com');
    const victim = await signedInAgent(world, 'other@example.com');
    const attackerToken = await tokenOf(attacker, '/manage');
    const before = await stateOf(world, 'other@example.com');
    for (const [path, fields] of ROUTES.filter(([p]) => p.startsWith('/manage'))) {
      const res = await victim
        .post(path)
        .type('form')
        .send({ ...fields, _csrf: attackerToken });
      expect(res.status, path).toBe(403);
    }
    expect(await stateOf(world, 'other@example.com')).toEqual(before);
    expect(await isSignedIn(victim)).toBe(true);
    // The attacker's own token still works in the attacker's own session.
    expect((await attacker.post('/account/log-off').type('form').send({ _csrf: attackerToken })).status).toBe(303);
  });
});

describe('case 3: a token from before a privilege change', () => {
  it('from before the password step is refused at Send Code (the pending sign-in has a new session and token)', async () => {
    const agent = world.agent();
    const before = await tokenOf(agent);
    const login = await agent.post('/account/login').type('form').send({ email: 'victim@example.com', password: PASSWORD, _csrf: before });
    expect(login.headers.location).toMatch(/^\/account\/send-code/);
    const res = await agent.post('/account/send-code').type('form').send({ selectedProvider: 'Phone Code', _csrf: before });
    expect(res.status).toBe(403);
  });

  it('from the pending two-factor step is refused once both factors are done', async () => {
    const agent = world.agent();
    await postForm(agent, '/account/login', { email: 'victim@example.com', password: PASSWORD });
    const pendingToken = await tokenOf(agent, '/account/send-code');
    const { res } = await twoFactorSignIn(world, 'victim@example.com', { agent });
    expect(res.status).toBe(303);
    expect((await agent.post('/account/log-off').type('form').send({ _csrf: pendingToken })).status).toBe(403);
    expect(await isSignedIn(agent)).toBe(true);
  });

  it('from before a password change (the session is re-issued) is refused after it', async () => {
    const agent = await signedInAgent(world, 'attacker@example.com');
    const old = await tokenOf(agent, '/manage');
    const changed = await agent
      .post('/manage/change-password')
      .type('form')
      .send({ oldPassword: PASSWORD, newPassword: NEW, confirmPassword: NEW, _csrf: old });
    expect(changed.status).toBe(303);
    expect((await agent.post('/account/log-off').type('form').send({ _csrf: old })).status).toBe(403);
    expect(await isSignedIn(agent)).toBe(true);
    // Put the password back for the other tests (with a fresh token).
    await postForm(agent, '/manage/change-password', { oldPassword: NEW, newPassword: PASSWORD, confirmPassword: PASSWORD });
  });

  it('from a signed-in session is refused after sign-off (the anonymous session is new)', async () => {
    const agent = await signedInAgent(world, 'other@example.com');
    const signedInToken = await tokenOf(agent, '/manage');
    await agent.post('/account/log-off').type('form').send({ _csrf: signedInToken });
    const res = await agent
      .post('/account/login')
      .type('form')
      .send({ email: 'other@example.com', password: PASSWORD, _csrf: signedInToken });
    expect(res.status).toBe(403);
    expect(await isSignedIn(agent)).toBe(false);
  });
});

describe('case 4: login CSRF', () => {
  it("a cross-site POST of the attacker's credentials without a token signs the victim in as nobody", async () => {
    // A victim that never visited, one with a session, and a post marked cross-site.
    const fresh = world.agent();
    const visited = world.agent();
    await visited.get('/');
    const creds = { email: 'attacker@example.com', password: PASSWORD };
    for (const [name, send] of [
      ['no session, no token', () => fresh.post('/account/login').set('Origin', 'https://evil.example').type('form').send(creds)],
      ['session, no token', () => visited.post('/account/login').set('Origin', 'https://evil.example').type('form').send(creds)],
      ['session, no token, same origin', () => visited.post('/account/login').type('form').send(creds)],
    ] as const) {
      const res = await send();
      expect(res.status, name).toBe(403);
    }
    expect(await isSignedIn(fresh)).toBe(false);
    expect(await isSignedIn(visited)).toBe(false);
  });
});

describe('case 5: a valid token on a request the browser marks as cross-site', () => {
  it('is refused for every foreign Origin and for Sec-Fetch-Site: cross-site, and accepted from our own origin', async () => {
    const agent = await signedInAgent(world, 'other@example.com');
    const _csrf = await tokenOf(agent, '/manage');
    const before = await stateOf(world, 'other@example.com');
    const change = { oldPassword: PASSWORD, newPassword: NEW, confirmPassword: NEW, _csrf };
    const foreign: Array<Record<string, string>> = [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Origin: 'https://gatehouse.test' }, // another scheme
      { Origin: 'http://gatehouse.test:8080' }, // another port
      { Origin: 'http://gatehouse.test.evil.example' },
      { Origin: 'http://sub.gatehouse.test', 'Sec-Fetch-Site': 'same-site' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'http://gatehouse.test', 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'null', 'Sec-Fetch-Site': 'same-site' },
    ];
    for (const headers of foreign) {
      const res = await agent.post('/manage/change-password').set(headers).type('form').send(change);
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    expect(await stateOf(world, 'other@example.com')).toEqual(before);
    expect(await isSignedIn(agent)).toBe(true);
    const ours = await agent
      .post('/account/log-off')
      .set({ Origin: 'http://gatehouse.test', 'Sec-Fetch-Site': 'same-origin' })
      .type('form')
      .send({ _csrf });
    expect(ours.status).toBe(303);
  });
});

describe('case 6: state changes over GET', () => {
  it('do not exist: every POST-only route answers 404 to GET and HEAD and nothing changes', async () => {
    const { agent } = await twoFactorSignIn(world, 'victim@example.com');
    const before = await stateOf(world, 'victim@example.com');
    const postOnly = ROUTES.map(([p]) => p).filter(
      (p) =>
        ![
          '/account/register',
          '/account/login',
          '/account/send-code',
          '/account/verify-code',
          '/account/forgot-password',
          '/account/reset-password',
          '/account/external-login-confirmation',
          '/manage/add-phone-number',
          '/manage/verify-phone-number',
          '/manage/change-password',
          '/manage/set-password',
        ].includes(p),
    );
    expect(postOnly).toContain('/manage/remove-phone-number');
    for (const path of postOnly) {
      const query = '?loginProvider=Google&providerKey=g-victim&provider=Google';
      expect((await agent.get(path + query)).status, `GET ${path}`).toBe(404);
      expect((await agent.head(path)).status, `HEAD ${path}`).toBe(404);
    }
    // Pages that have a form answer GET with the form, and change nothing either.
    for (const path of ['/manage/change-password?oldPassword=x&newPassword=y', '/manage/add-phone-number?phoneNumber=%2B41797654321']) {
      expect((await agent.get(path)).status).toBe(200);
    }
    expect(await stateOf(world, 'victim@example.com')).toEqual(before);
    expect(await isSignedIn(agent)).toBe(true);
  });
});

describe('case 7: CSRF on the Google flows', () => {
  it("refuses to start Google sign-in or linking without this session's token", async () => {
    const agent = await signedInAgent(world, 'other@example.com');
    const foreign = await tokenOf(world.agent());
    for (const [path, fields] of [
      ['/account/external-login', { provider: 'Google' }],
      ['/manage/link-login', { provider: 'Google' }],
    ] as const) {
      expect((await agent.post(path).type('form').send(fields)).status, path).toBe(403);
      expect(
        (
          await agent
            .post(path)
            .type('form')
            .send({ ...fields, _csrf: foreign })
        ).status,
        path,
      ).toBe(403);
      const own = await tokenOf(agent, '/manage/logins');
      expect(
        (
          await agent
            .post(path)
            .set('Origin', 'https://evil.example')
            .type('form')
            .send({ ...fields, _csrf: own })
        ).status,
        path,
      ).toBe(403);
    }
  });

  it('an attacker cannot force-link their Google account: their callback, opened by the victim, links nothing', async () => {
    const attacker = await signedInAgent(world, 'attacker@example.com');
    google.signInAs({ sub: 'g-attacker', email: 'attacker@gmail.com', email_verified: true });
    const start = await postForm(attacker, '/manage/link-login', { provider: 'Google' }, '/manage/logins');
    expect(start.status).toBe(302);
    const callback = await consentAtProvider(start.headers.location);
    // The attacker does not finish; the victim's browser is lured to the callback URL.
    const victim = await signedInAgent(world, 'other@example.com');
    const res = await victim.get(callback);
    expect(res.text).toContain('Unsuccessful login with service.');
    expect(await world.knex('user_logins').where({ provider_key: 'g-attacker' })).toHaveLength(0);
    // Nor can it be replayed by the attacker later (the state was used up or belongs elsewhere).
    expect(await world.knex('user_logins')).toHaveLength(0);
    expect(await isSignedIn(victim)).toBe(true);
  });
});

describe('case 8: where a token may come from', () => {
  it('is accepted from the body or the x-csrf-token header, never from the query string', async () => {
    const agent = await signedInAgent(world, 'other@example.com');
    const own = await getCsrf(agent, '/manage');
    expect((await agent.post(`/manage/forget-browser?_csrf=${own}`).type('form').send({})).status).toBe(403);
    expect((await agent.post('/manage/forget-browser').set('x-csrf-token', own).type('form').send({})).status).toBe(303);
    expect((await agent.post('/manage/forget-browser').type('form').send({ _csrf: own })).status).toBe(303);
  });
});
