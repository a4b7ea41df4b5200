/**
 * Attack catalogue, group B: sessions. Cases 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19.
 *
 * Already covered elsewhere, and checked to do what the case asks:
 * - 9:  test/integration/account/login.test.ts "issues a new session id at sign-in (an id planted before is useless)",
 *       test/integration/two-factor/attacks.test.ts "issues a new session id at the password step and again after the code"
 * - 10: test/integration/web/sessions.test.ts "are deleted on sign-off, so a replayed cookie is worthless"
 * - 11: test/integration/passwords/change-password.test.ts "needs the old password; success keeps this session in a new id, ends the others and mails a notice"
 * - 12: test/integration/passwords/reset-password.test.ts "sets the new password, ends every session, clears a lockout, mails a notice and does not sign in"
 * - 13: test/integration/two-factor/manage-two-factor.test.ts "enables it by POST, rotates the stamp, keeps this session and ends the others",
 *       test/integration/two-factor/phone-number.test.ts "ends the user's other sessions when the number changes, and keeps this one",
 *       test/integration/external-login/manage-logins.test.ts "lists no logins, offers Google, links it, ..." (linking ends other sessions)
 * - 15: test/integration/web/sessions.test.ts "end after the idle timeout"
 * - 16: test/integration/web/sessions.test.ts "end after the absolute lifetime even with activity"
 * - 17: test/integration/web/sessions.test.ts "treat a tampered cookie as a new visitor, not an error"
 * - 18: test/integration/web/sessions.test.ts "are never cached" (/manage only; every page is here)
 * The tests below add the variants those leave out.
 */
import crypto from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestClock,
  csrfFrom,
  demoLinkFrom,
  localPath,
  postForm,
  setup,
  signedInAgent,
  type Agent,
  type World,
} from '../helpers/setup.js';
import { clearSignInThrottle, latestCode, passwordStep, relaxedSendLimits, twoFactorSignIn } from '../helpers/two-factor.js';
import {
  account,
  cookiePair,
  expectRedirectToLogin,
  isSignedIn,
  PASSWORD,
  post,
  setCookies,
  sidFromSetCookie,
  userRow,
} from './helpers.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  world = await setup({ env: { ...relaxedSendLimits, SESSION_IDLE_MINUTES: '30', SESSION_ABSOLUTE_HOURS: '12' }, overrides: { clock } });
});
afterAll(() => world.close());
beforeEach(() => clearSignInThrottle(world));

const sessionRow = (sid: string) => world.knex('sessions').where({ sid }).first();
/** A fresh browser that carries only the given cookie. */
const replay = (cookie: string) => request(world.app).get('/manage').set('Cookie', cookie);

describe('case 9: session fixation', () => {
  it('an id planted before sign-in is worthless to the attacker afterwards, and its row is gone', async () => {
    await account(world, 'fixed@example.com');
    await account(world, 'planter@example.com', { twoFactor: true });
    const browser = world.agent();
    // A visitor's page makes no session (issue 14, item 6), so the attacker plants one made by
    // a step that does: their own pending two-factor sign-in, in this browser.
    expect(cookiePair(await browser.get('/account/login'), 'gatehouse.sid')).toBeUndefined();
    const { res: planted } = await passwordStep(world, 'planter@example.com', browser);
    const plantedCookie = cookiePair(planted, 'gatehouse.sid')!;
    const plantedSid = sidFromSetCookie(planted)!;
    expect(await sessionRow(plantedSid)).toBeDefined();
    const login = await postForm(browser, '/account/login', { email: 'fixed@example.com', password: PASSWORD });
    expect(login.status).toBe(303);
    expect(sidFromSetCookie(login)).not.toBe(plantedSid);
    expect(await sessionRow(plantedSid)).toBeUndefined();
    expectRedirectToLogin(await replay(plantedCookie));
    expect(await isSignedIn(browser)).toBe(true);
  });

  it('with two-factor, neither the planted id nor the pending id signs the attacker in after the code', async () => {
    await account(world, 'fixed2fa@example.com', { twoFactor: true });
    const browser = world.agent();
    await account(world, 'planter2@example.com', { twoFactor: true });
    const planted = cookiePair((await passwordStep(world, 'planter2@example.com', browser)).res, 'gatehouse.sid')!;
    const { res: pw } = await passwordStep(world, 'fixed2fa@example.com', browser);
    const pending = cookiePair(pw, 'gatehouse.sid')!;
    expect(pending).not.toBe(planted);
    const { res: done } = await twoFactorSignIn(world, 'fixed2fa@example.com', { agent: browser });
    expect(done.status).toBe(303);
    const final = cookiePair(done, 'gatehouse.sid')!;
    expect(new Set([planted, pending, final]).size).toBe(3);
    expectRedirectToLogin(await replay(planted));
    expectRedirectToLogin(await replay(pending));
    // The pending cookie does not even reach Verify Code any more.
    expect((await request(world.app).get('/account/verify-code').set('Cookie', pending)).headers.location).toBe('/account/login');
    expect((await replay(final)).status).toBe(200);
  });
});

describe('case 10: sign-off, then the old cookie', () => {
  it('is sent to the login page and the session row is deleted on the server', async () => {
    const user = await account(world, 'leaver@example.com');
    const agent = world.agent();
    const login = await postForm(agent, '/account/login', { email: 'leaver@example.com', password: PASSWORD });
    const cookie = cookiePair(login, 'gatehouse.sid')!;
    const sid = sidFromSetCookie(login)!;
    expect(await sessionRow(sid)).toMatchObject({ user_id: user.id });
    const off = await post(agent, '/account/log-off', {}, '/manage');
    expect(off.status).toBe(303);
    expect(await sessionRow(sid)).toBeUndefined();
    expect(await world.knex('sessions').where({ user_id: user.id })).toHaveLength(0);
    expectRedirectToLogin(await replay(cookie));
  });
});

describe('case 12: a password reset by email', () => {
  it('ends every session and voids the remembered browser: two-factor is asked again', async () => {
    await account(world, 'forgetful@example.com', { twoFactor: true });
    const { agent: remembered, res } = await twoFactorSignIn(world, 'forgetful@example.com', { verify: { rememberBrowser: 'true' } });
    expect(cookiePair(res, 'gatehouse.rb')).toBeDefined();
    const other = (await twoFactorSignIn(world, 'forgetful@example.com')).agent;
    const requested = await postForm(world.agent(), '/account/forgot-password', { email: 'forgetful@example.com' });
    const link = localPath(demoLinkFrom(requested.text));
    const fresh = 'a passphrase after the reset';
    const resetter = world.agent();
    await resetter.get(link);
    const done = await post(
      resetter,
      '/account/reset-password',
      {
        userId: new URL(link, 'http://x').searchParams.get('userId')!,
        password: fresh,
        confirmPassword: fresh,
        code: new URL(link, 'http://x').searchParams.get('code')!,
      },
      link,
    );
    expect(done.text).toContain('Your password has been reset.');
    expect(await isSignedIn(remembered)).toBe(false);
    expect(await isSignedIn(other)).toBe(false);
    // The remembered browser still has its cookie, but it is bound to the old stamp.
    const again = await postForm(remembered, '/account/login', { email: 'forgetful@example.com', password: fresh });
    expect(again.headers.location).toMatch(/^\/account\/send-code/);
    expect(await isSignedIn(remembered)).toBe(false);
  });
});

describe('case 13: a security change in browser A ends the other sessions and re-issues A', () => {
  type Step = (agent: Agent, email: string) => Promise<{ status: number; headers: Record<string, string> }>;
  const phone = '+41 79 555 12 34';
  const cases: Array<[string, { twoFactor?: boolean; phone?: string; google?: boolean; passwordless?: boolean }, Step]> = [
    ['disable two-factor', { twoFactor: true }, (a) => post(a, '/manage/disable-two-factor', {}, '/manage')],
    ['enable two-factor', { phone: '+41791234567' }, (a) => post(a, '/manage/enable-two-factor', {}, '/manage')],
    ['remove the phone number', { phone: '+41791234567' }, (a) => post(a, '/manage/remove-phone-number', {}, '/manage')],
    [
      'change the phone number',
      { phone: '+41791234567' },
      async (a) => {
        await post(a, '/manage/add-phone-number', { phoneNumber: phone }, '/manage/add-phone-number');
        const code = await latestCode(world, '+41795551234', 'PhoneNumberVerification');
        return post(a, '/manage/verify-phone-number', { phoneNumber: '+41795551234', code }, '/manage');
      },
    ],
    [
      'change the password',
      {},
      (a) =>
        post(
          a,
          '/manage/change-password',
          { oldPassword: PASSWORD, newPassword: 'changed passphrase 1', confirmPassword: 'changed passphrase 1' },
          '/manage',
        ),
    ],
    [
      'remove an external login',
      { google: true },
      (a) => post(a, '/manage/remove-login', { loginProvider: 'Google', providerKey: 'g-remove-me' }, '/manage/logins'),
    ],
    [
      'add a password',
      { passwordless: true },
      (a) => post(a, '/manage/set-password', { newPassword: 'picked passphrase 2', confirmPassword: 'picked passphrase 2' }, '/manage'),
    ],
  ];
  let n = 0;
  it.each(cases)('%s', async (_name, options, step) => {
    const email = `change${++n}@example.com`;
    const user = await account(world, email, { twoFactor: options.twoFactor, phone: options.phone });
    if (options.google) {
      await world
        .knex('user_logins')
        .insert({ login_provider: 'Google', provider_key: 'g-remove-me', provider_display_name: 'Google', user_id: user.id });
    }
    const signIn = async () => (options.twoFactor ? (await twoFactorSignIn(world, email)).agent : signedInAgent(world, email));
    const a = await signIn();
    const b = await signIn();
    // A password-less account (made through Google): take the hash away without a stamp change.
    if (options.passwordless) await world.knex('users').where({ id: user.id }).update({ password_hash: null });
    const stampBefore = (await userRow(world, email)).security_stamp;
    const sidBefore = String((await a.get('/manage')).request.cookies ?? '');
    const res = await step(a, email);
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/manage.*Success/);
    expect((await userRow(world, email)).security_stamp).not.toBe(stampBefore);
    expect(sidFromSetCookie(res as never)).toBeDefined();
    expect(sidBefore).not.toContain(sidFromSetCookie(res as never)!);
    expect(await isSignedIn(a)).toBe(true);
    expectRedirectToLogin(await b.get('/manage'));
  });
});

/** A browser for the production app: Secure cookies over an https proxy, kept by hand. */
function httpsBrowser(app: World['app']) {
  const jar = new Map<string, string>();
  const all: string[] = [];
  const keep = <T extends { headers: Record<string, unknown> }>(res: T): T => {
    for (const c of setCookies(res)) {
      all.push(c);
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    all,
    async get(path: string) {
      return keep(await request(app).get(path).set('X-Forwarded-Proto', 'https').set('Cookie', cookie()));
    },
    async post(path: string, fields: Record<string, string>, formPath: string) {
      const page = await this.get(formPath);
      const _csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
      return keep(
        await request(app)
          .post(path)
          .set('X-Forwarded-Proto', 'https')
          .set('Cookie', cookie())
          .type('form')
          .send({ ...fields, _csrf }),
      );
    },
  };
}

describe('case 14: cookie attributes', () => {
  const attributes = (cookie: string) =>
    cookie
      .split(';')
      .slice(1)
      .map((a) => a.trim().split('=')[0].toLowerCase());

  it('in production: __Host- names, Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain on every cookie', async () => {
    const prod = await setup({
      env: {
        ...relaxedSendLimits,
        NODE_ENV: 'production',
        SESSION_SECRET: 'production-secret-production-secret-0123',
        APP_BASE_URL: 'https://gatehouse.test',
        TRUST_PROXY: '1',
      },
    });
    try {
      await account(prod, 'prod@example.com', { twoFactor: true });
      const browser = httpsBrowser(prod.app);
      await browser.get('/account/login');
      // The pending two-factor state lives in the session cookie itself (no second cookie).
      const pw = await browser.post('/account/login', { email: 'prod@example.com', password: PASSWORD }, '/account/login');
      expect(pw.headers.location).toMatch(/^\/account\/send-code/);
      expect(cookiePair(pw, '__Host-gatehouse')).toBeDefined();
      await browser.post('/account/send-code', { selectedProvider: 'Phone Code' }, '/account/send-code');
      const code = await latestCode(prod, '+41791234567', 'TwoFactor');
      const done = await browser.post('/account/verify-code', { provider: 'Phone Code', code, rememberBrowser: 'true' }, '/account/login');
      expect(done.status).toBe(303);
      await browser.get('/manage');
      const names = new Set(browser.all.map((c) => c.split('=')[0]));
      expect([...names].sort()).toEqual(['__Host-gatehouse', '__Host-gatehouse-device', '__Host-gatehouse.csrf', '__Host-gatehouse.rb']);
      for (const cookie of browser.all) {
        const attrs = attributes(cookie);
        expect(cookie, cookie).toMatch(/^__Host-/);
        expect(attrs, cookie).toContain('secure');
        expect(attrs, cookie).toContain('httponly');
        expect(cookie, cookie).toMatch(/; SameSite=(Lax|Strict)/);
        expect(cookie, cookie).toMatch(/; Path=\/(;|$)/);
        expect(attrs, cookie).not.toContain('domain');
      }
      // Over plain http (no https proxy in front) no session cookie is sent at all.
      const plain = await request(prod.app).get('/account/login');
      expect(setCookies(plain).filter((c) => c.startsWith('__Host-gatehouse='))).toEqual([]);
    } finally {
      await prod.close();
    }
  });

  it('in development and tests (plain http): HttpOnly, SameSite=Lax, Path=/, no Domain, and no __Host- prefix', async () => {
    // README: "HttpOnly + SameSite=Lax (+ Secure and a `__Host-` name in production)"; a
    // __Host- cookie must be Secure, which a browser refuses over http://localhost.
    await account(world, 'dev.cookies@example.com', { twoFactor: true });
    const agent = world.agent();
    const seen: string[] = [];
    seen.push(...setCookies(await agent.get('/account/login')));
    const { res } = await twoFactorSignIn(world, 'dev.cookies@example.com', { agent, verify: { rememberBrowser: 'true' } });
    seen.push(...setCookies(res), ...setCookies(await agent.get('/manage')));
    const names = new Set(seen.map((c) => c.split('=')[0]));
    expect([...names].sort()).toEqual(['gatehouse.csrf', 'gatehouse.device', 'gatehouse.rb', 'gatehouse.sid']);
    for (const cookie of seen) {
      const attrs = attributes(cookie);
      expect(attrs, cookie).toContain('httponly');
      expect(cookie, cookie).toMatch(/; SameSite=Lax/);
      expect(cookie, cookie).toMatch(/; Path=\/(;|$)/);
      expect(attrs, cookie).not.toContain('domain');
    }
  });
});

describe('case 15: the idle timeout', () => {
  it('sends the next request to the login page and removes the session row', async () => {
    const user = await account(world, 'idle@example.com');
    const agent = world.agent();
    const login = await postForm(agent, '/account/login', { email: 'idle@example.com', password: PASSWORD });
    const sid = sidFromSetCookie(login)!;
    clock.advance(31 * 60_000);
    expectRedirectToLogin(await agent.get('/manage'));
    expect(await sessionRow(sid)).toBeUndefined();
    expect(await world.knex('sessions').where({ user_id: user.id })).toHaveLength(0);
  });
});

describe('case 16: the absolute lifetime', () => {
  it('ends an active session after 12 hours and deletes its row at once', async () => {
    await account(world, 'busy@example.com');
    const agent = world.agent();
    const login = await postForm(agent, '/account/login', { email: 'busy@example.com', password: PASSWORD });
    const sid = sidFromSetCookie(login)!;
    // A page every 25 minutes (inside the 30-minute idle timeout) for 700 minutes...
    for (let step = 1; step <= 28; step++) {
      clock.advance(25 * 60_000);
      expect((await agent.get('/manage')).status, `after ${step * 25} minutes`).toBe(200);
    }
    // ...and 25 minutes later the 12 hours are over.
    clock.advance(25 * 60_000);
    expectRedirectToLogin(await agent.get('/manage'));
    expect(await sessionRow(sid)).toBeUndefined();
  });
});

describe('case 17: a tampered or forged session cookie', () => {
  it('is a new anonymous visitor on every variant, never a 500 and never the victim', async () => {
    await account(world, 'tamper@example.com');
    const agent = world.agent();
    const login = await postForm(agent, '/account/login', { email: 'tamper@example.com', password: PASSWORD });
    const sid = sidFromSetCookie(login)!;
    const good = cookiePair(login, 'gatehouse.sid')!;
    const signWith = (secret: string) => `s:${sid}.${crypto.createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '')}`;
    const variants: Record<string, string> = {
      'the raw id without a signature': `gatehouse.sid=${sid}`,
      'the id signed with another secret': `gatehouse.sid=${encodeURIComponent(signWith('not-the-app-secret-not-the-app-secret'))}`,
      'the signature of another id': `gatehouse.sid=${encodeURIComponent(`s:${'A'.repeat(sid.length)}${good.slice(good.indexOf('.'))}`)}`,
      'a truncated signature': good.slice(0, -4),
      'an 8 kB value': `gatehouse.sid=s%3A${'a'.repeat(8_000)}`,
      'Unicode and control characters': 'gatehouse.sid=%E2%80%AE%00%FF',
      'bad percent-encoding': 'gatehouse.sid=%%%',
      'an empty value': 'gatehouse.sid=',
    };
    for (const [name, cookie] of Object.entries(variants)) {
      const manage = await request(world.app).get('/manage').set('Cookie', cookie);
      expect(manage.status, name).toBe(302);
      const home = await request(world.app).get('/').set('Cookie', cookie);
      expect(home.status, name).toBe(200);
      expect(home.text, name).not.toContain('tamper@example.com');
    }
    // Control: the real cookie still works.
    expect((await replay(good)).status).toBe(200);
  });
});

describe('case 18: caching of account pages', () => {
  it('every page under /account and /manage, signed in or not, error pages and redirects say no-store', async () => {
    await account(world, 'cache@example.com');
    const agent = await signedInAgent(world, 'cache@example.com');
    const anonymous = world.agent();
    const pages = [
      '/',
      '/account/login',
      '/account/register',
      '/account/forgot-password',
      '/account/reset-password?userId=x&code=y',
      '/account/confirm-email?userId=x&code=y',
      '/account/send-code',
      '/account/verify-code',
      '/account/external-login-confirmation',
      '/manage',
      '/manage/change-password',
      '/manage/set-password',
      '/manage/add-phone-number',
      '/manage/verify-phone-number?phoneNumber=%2B41791234567',
      '/manage/logins',
      '/no/such/page',
    ];
    for (const browser of [agent, anonymous]) {
      for (const path of pages) {
        const res = await browser.get(path);
        expect(res.headers['cache-control'], `${path} (${res.status})`).toMatch(/no-store/);
      }
    }
    const refused = await agent.post('/manage/change-password').type('form').send({});
    expect(refused.status).toBe(403);
    expect(refused.headers['cache-control']).toMatch(/no-store/);
  });
});

describe('case 19: two sign-ins at once in one browser (two tabs)', () => {
  it('never mixes identities: the browser ends with one session whose user and stamp agree', async () => {
    const ann = await account(world, 'ann.tabs@example.com');
    const ben = await account(world, 'ben.tabs@example.com');
    const agent = world.agent();
    const page = await agent.get('/account/login');
    const _csrf = csrfFrom(page.text);
    // A visitor has no session to replace (issue 14, item 6): the tabs race from none.
    expect(sidFromSetCookie(page)).toBeUndefined();
    const results = await Promise.all(
      [ann, ben, ann, ben].map((u) => agent.post('/account/login').type('form').send({ email: u.email, password: PASSWORD, _csrf })),
    );
    // Each tab either signed in (303) or found its session already replaced (403).
    for (const r of results) expect([303, 403]).toContain(r.status);
    expect(results.some((r) => r.status === 303)).toBe(true);
    const manage = await agent.get('/manage');
    expect(manage.status).toBe(200);
    const shown = /data-email>([^<]+)</.exec(manage.text)![1];
    expect([ann.email, ben.email]).toContain(shown);
    // Every session row of both users is bound to one user, with that user's own stamp.
    const rows = await world.knex('sessions').whereIn('user_id', [ann.id, ben.id]);
    expect(rows.length, 'the signed-in session is among them').toBeGreaterThan(0);
    const stamps = new Map([
      [ann.id, ann.securityStamp],
      [ben.id, ben.securityStamp],
    ]);
    for (const row of rows) {
      const data = typeof row.data === 'string' ? JSON.parse(row.data) : row.data;
      expect(data.userId).toBe(row.user_id);
      expect(data.securityStamp).toBe(stamps.get(row.user_id));
    }
  });
});
