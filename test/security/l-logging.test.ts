/**
 * Attack catalogue, group L: notices and logs. Cases 93, 94.
 *
 * "Logs" are both of Gatehouse's logs: the pino request log (one JSON line per request, to a
 * memory stream here) and the audit log (`audit_events`), which is where every sign-in success
 * and failure is recorded (docs/two-factor.md "Audit events"; ASVS 16.3.1).
 *
 * Already covered elsewhere, and checked to do what the case asks:
 * - 93: test/integration/passwords/change-password.test.ts "needs the old password; success keeps this session in a new id, ends the others and mails a notice",
 *       test/integration/passwords/reset-password.test.ts "sets the new password, ends every session, clears a lockout, mails a notice and does not sign in"
 *       (password change and reset only; two-factor and phone changes are here)
 * - 94: test/unit/identity/redact-url.test.ts (codes, tokens, passwords and OAuth state are redacted from logged URLs)
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGoogle, type FakeGoogle } from '../fakes/fake-google.js';
import { consentAtProvider, registerWithGoogle } from '../helpers/external-login.js';
import {
  confirmByButton,
  csrfFrom,
  demoLinkFrom,
  localPath,
  postForm,
  setup,
  signedInAgent,
  type Agent,
  type World,
} from '../helpers/setup.js';
import {
  addConfirmedPhone,
  clearSignInThrottle,
  passwordStep,
  relaxedSendLimits,
  sendCode,
  twoFactorSignIn,
  verifyCode,
} from '../helpers/two-factor.js';
import { account, PASSWORD, post, setCookies } from './helpers.js';

const logLines: string[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

let world: World;
let google: FakeGoogle;
beforeAll(async () => {
  google = await startFakeGoogle();
  world = await setup({ env: { ...relaxedSendLimits, ...google.env }, overrides: { logger: pino({ level: 'trace' }, logStream) } });
});
afterAll(async () => {
  await world.close();
  await google.close();
});

const noticesTo = async (email: string) =>
  (await world.knex('outbox').where({ recipient: email, channel: 'email' }).orderBy('id')).filter(
    (m) => !['TwoFactor', 'EmailConfirmation', 'ResetPassword'].includes(m.purpose),
  );

describe('case 93: a notice to the address on file after every security change', () => {
  async function expectNotice(email: string, action: () => Promise<unknown>, pattern: RegExp) {
    const before = (await noticesTo(email)).length;
    await action();
    const after = await noticesTo(email);
    expect(after.length, String(pattern)).toBe(before + 1);
    const mail = after.at(-1)!;
    expect(`${mail.subject} ${mail.body}`, String(pattern)).toMatch(pattern);
    expect(mail.secret).toBeNull();
  }

  it('is sent for a password change, reset and set, two-factor on and off, and a phone number added, changed or removed', async () => {
    const email = 'notified@example.com';
    await account(world, email);
    await clearSignInThrottle(world);
    let agent = await signedInAgent(world, email);
    const other = 'another good passphrase 93';
    await expectNotice(
      email,
      () => postForm(agent, '/manage/change-password', { oldPassword: PASSWORD, newPassword: other, confirmPassword: other }),
      /password/i,
    );
    await expectNotice(
      email,
      async () => {
        const forgot = await postForm(world.agent(), '/account/forgot-password', { email });
        const link = localPath(demoLinkFrom(forgot.text));
        await post(
          world.agent(),
          '/account/reset-password',
          {
            userId: new URL(link, 'http://x').searchParams.get('userId')!,
            code: new URL(link, 'http://x').searchParams.get('code')!,
            password: PASSWORD,
            confirmPassword: PASSWORD,
          },
          link,
        );
      },
      /password/i,
    );
    agent = await signedInAgent(world, email);
    await world.knex('users').where({ email }).update({ password_hash: null }); // as if made through Google
    await expectNotice(
      email,
      () => postForm(agent, '/manage/set-password', { newPassword: PASSWORD, confirmPassword: PASSWORD }),
      /password/i,
    );
    await expectNotice(email, () => addConfirmedPhone(agent), /phone/i);
    await expectNotice(email, () => postForm(agent, '/manage/enable-two-factor', {}, '/manage'), /two-factor|two factor/i);
    await expectNotice(email, () => addConfirmedPhone(agent, '+41 79 555 66 77'), /phone/i);
    await expectNotice(email, () => postForm(agent, '/manage/disable-two-factor', {}, '/manage'), /two-factor|two factor/i);
    await expectNotice(email, () => postForm(agent, '/manage/remove-phone-number', {}, '/manage'), /phone/i);
  });
});

describe('case 94: what the logs hold after the whole set of flows', () => {
  it('no password, code, token, OAuth secret or session id in the request log or the audit log; every sign-in outcome audited', async () => {
    const secrets = new Set<string>();
    const cookieValues = (res: { headers: Record<string, unknown> }) => {
      for (const c of setCookies(res)) {
        const value = decodeURIComponent(c.split(';')[0].split('=').slice(1).join('='));
        if (value.length < 16) continue;
        secrets.add(value);
        const sid = /^s:([^.]+)\./.exec(value)?.[1];
        if (sid) secrets.add(sid);
      }
    };
    const passwords = [PASSWORD, 'wrong password for the log test', 'the new password for the log test'];
    passwords.forEach((p) => secrets.add(p));
    await clearSignInThrottle(world);

    // Register, confirm (code in the URL), sign in wrong and right, sign off.
    const browser = world.agent();
    const registered = await postForm(browser, '/account/register', {
      email: 'logged@example.com',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    const csrfToken = csrfFrom((await browser.get('/account/login')).text);
    secrets.add(csrfToken);
    const confirm = localPath(demoLinkFrom(registered.text));
    await confirmByButton(world.agent(), confirm);
    await postForm(world.agent(), '/account/login', { email: 'logged@example.com', password: passwords[1] });
    await postForm(world.agent(), '/account/login', { email: 'nobody.logged@example.com', password: passwords[1] });
    const signedIn = await postForm(browser, '/account/login', { email: 'logged@example.com', password: PASSWORD });
    cookieValues(signedIn);
    cookieValues(await browser.get('/manage'));
    // Phone, two-factor, codes (one wrong, one right), remember this browser.
    await addConfirmedPhone(browser);
    await postForm(browser, '/manage/enable-two-factor', {}, '/manage');
    await post(browser, '/account/log-off', {}, '/manage');
    const { agent: pending } = await passwordStep(world, 'logged@example.com');
    await sendCode(pending, 'Phone Code');
    await verifyCode(pending, { code: '000000' });
    const { res: twoFactor } = await twoFactorSignIn(world, 'logged@example.com', { verify: { rememberBrowser: 'true' } });
    cookieValues(twoFactor);
    const emailCode = await twoFactorSignIn(world, 'logged@example.com', { provider: 'Email Code' });
    cookieValues(emailCode.res);
    // Forgot and reset (token in the URL and in the form), change password.
    const forgot = await postForm(world.agent(), '/account/forgot-password', { email: 'logged@example.com' });
    const reset = localPath(demoLinkFrom(forgot.text));
    await post(
      world.agent(),
      '/account/reset-password',
      {
        userId: new URL(reset, 'http://x').searchParams.get('userId')!,
        code: new URL(reset, 'http://x').searchParams.get('code')!,
        password: passwords[2],
        confirmPassword: passwords[2],
      },
      reset,
    );
    const again = (await twoFactorSignIn(world, 'logged@example.com', { login: { password: passwords[2] } })).agent as Agent;
    await postForm(again, '/manage/change-password', { oldPassword: passwords[2], newPassword: PASSWORD, confirmPassword: PASSWORD });
    // Google: a good round trip and one with a bad state.
    const g = world.agent();
    await registerWithGoogle(g, google, { sub: 'g-logged', email: 'logged@gmail.com', email_verified: true });
    google.signInAs({ sub: 'g-logged' });
    const start = await postForm(world.agent(), '/account/external-login', { provider: 'Google', returnUrl: '/' }, '/account/login');
    const callback = new URL(await consentAtProvider(start.headers.location), 'http://x');
    secrets.add(callback.searchParams.get('code')!);
    secrets.add(callback.searchParams.get('state')!);
    await world.agent().get(`${callback.pathname}?code=${callback.searchParams.get('code')}&state=wrong-state-${'x'.repeat(30)}`);
    for (const request of google.tokenRequests) {
      if (typeof request.code === 'string') secrets.add(request.code);
      if (typeof request.code_verifier === 'string') secrets.add(request.code_verifier);
    }
    // A CSRF refusal carrying a token in the query string.
    await world.agent().post(`/account/log-off?_csrf=${csrfToken}`).type('form').send({});

    await world.services.outbox.drain();
    for (const row of await world.knex('outbox').whereNotNull('secret')) secrets.add(row.secret);
    for (const row of await world.knex('sessions')) secrets.add(row.sid);

    const audit = await world.knex('audit_events');
    const auditText = audit.map((e) => JSON.stringify(e)).join('\n');
    const requestLog = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(50);
    expect(requestLog).toContain('/account/confirm-email?');
    expect(requestLog).toContain('code=%5Bredacted%5D');
    for (const secret of secrets) {
      const pattern = new RegExp(`(?<![\\w-])${secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`);
      expect(
        logLines.filter((l) => pattern.test(l)),
        `request log holds ${secret.slice(0, 8)}…`,
      ).toEqual([]);
      expect(pattern.test(auditText), `audit log holds ${secret.slice(0, 8)}…`).toBe(false);
    }
    expect(secrets.size).toBeGreaterThan(15);

    const types = new Set(audit.map((e) => e.event_type));
    for (const type of [
      'UserRegistered',
      'EmailConfirmed',
      'SignInFailed',
      'SignedIn',
      'SignedOut',
      'SecurityCodeSent',
      'TwoFactorFailed',
      'PasswordResetRequested',
      'PasswordReset',
      'PasswordChanged',
      'ExternalLoginAdded',
      'ExternalLoginFailed',
      'TwoFactorEnabled',
      'PhoneNumberAdded',
      'BrowserRemembered',
    ]) {
      expect(types, type).toContain(type);
    }
    // Failures name the address's account when there is one, and record where they came from.
    const failed = audit.filter((e) => e.event_type === 'SignInFailed');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    for (const e of failed) expect(e.ip).toBeTruthy();
  });
});
