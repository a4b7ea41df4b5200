/**
 * Attack catalogue, group I: telling which addresses have accounts. Cases 75, 76, 77, 78, 79, 80.
 *
 * Timing is checked deterministically where it can be: the same number of argon2 operations,
 * with the same parameters, on every path (the shared two-core machine makes wall-clock
 * comparisons of argon2 noisy). Forgot-password does no argon2 work at all, so its medians
 * are compared with a generous threshold.
 *
 * Case 76 follows Gatehouse's documented policy (README: unconfirmed accounts can't sign in
 * "shown only after the right password"; src/identity/sign-in/sign-in-manager.ts: "Lockout and
 * confirmation are revealed only to someone who knows the password."): a wrong password on a
 * locked account gets the generic answer; the lockout page appears only after the right one.
 *
 * Already covered elsewhere, and checked to do what the case asks:
 * - 75: test/integration/account/login.test.ts "answers a wrong password and an unknown email with the same page",
 *       "runs one argon2 verification for unknown emails too (no timing oracle)"
 * - 76: test/integration/account/login.test.ts "lets a locked-out user see the lockout page only after the right password"
 * - 78: test/integration/passwords/forgot-password.test.ts "answers an unknown and an unconfirmed address with the same page; mails nothing to the unknown one (I78)",
 *       test/integration/passwords/forgot-password-delivery.test.ts "answers at once while the mail waits in the outbox, ..."
 * - 79: test/integration/account/register-validation.test.ts "shows the same page and emails the owner instead of revealing the account"
 * - 80: test/integration/external-login/google-sign-in.test.ts "is never linked to it, and the page does not reveal the account exists"
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postForm, setup, type World } from '../helpers/setup.js';
import { relaxedSendLimits, sendCode, passwordStep, verifyCode } from '../helpers/two-factor.js';
import { account, countHashing, median, PASSWORD, visible } from './helpers.js';

let world: World;
beforeAll(async () => {
  world = await setup({ env: relaxedSendLimits });
  await account(world, 'known@example.com');
  await account(world, 'unconfirmed@example.com', { confirmed: false });
  await account(world, 'locked@example.com');
  await account(world, 'google.only@example.com', { password: null });
  await account(world, 'twofactor@example.com', { twoFactor: true });
  const locked = await world.services.users.findByEmail('locked@example.com');
  await world.services.store.setLockoutEnd(world.knex, locked!.id, new Date(Date.now() + 3_600_000));
});
afterAll(() => world.close());
beforeEach(() => world.knex('rate_limits').delete());

const WRONG = 'not the right passphrase';
const login = (email: string, password = WRONG) => postForm(world.agent(), '/account/login', { email, password });
/** The page with the per-request token and the echoed address taken out. */
const page = (html: string) => visible(html).replace(/[\w.+-]+@example\.com/g, 'EMAIL');

describe('case 75: unknown address vs. known address with a wrong password', () => {
  it('gets the same status and page, after exactly one argon2 verification with the real parameters, for every kind of account', async () => {
    const emails = [
      'nobody@example.com',
      'known@example.com',
      'unconfirmed@example.com',
      'locked@example.com',
      'google.only@example.com',
      'twofactor@example.com',
    ];
    const seen: Array<{ email: string; status: number; page: string; verifications: number; hashes: string[] }> = [];
    for (const email of emails) {
      const { result, verify } = await countHashing(world, () => login(email));
      seen.push({ email, status: result.status, page: page(result.text), verifications: verify.length, hashes: verify.map((v) => v.hash) });
    }
    for (const s of seen) {
      expect(s.status, s.email).toBe(200);
      expect(s.page, s.email).toBe(seen[0].page);
      expect(s.verifications, s.email).toBe(1);
    }
    expect(seen[0].page).toContain('Invalid login attempt.');
    // The stand-in hash for unknown users costs what a real one costs: same algorithm and parameters.
    const params = (hash: string) => /^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$/.exec(hash)?.[0];
    const real = (await world.services.users.findByEmail('known@example.com'))!.passwordHash!;
    expect(params(real)).toBe('$argon2id$v=19$m=19456,t=2,p=1$');
    for (const s of seen) expect(params(s.hashes[0]), s.email).toBe(params(real));
  });

  it('an over-long password costs one verification for a known and an unknown address alike', async () => {
    const long = 'y'.repeat(5_000);
    const unknown = await countHashing(world, () => login('nobody@example.com', long));
    const known = await countHashing(world, () => login('known@example.com', long));
    expect(unknown.verify).toHaveLength(1);
    expect(known.verify).toHaveLength(1);
    expect(page(unknown.result.text)).toBe(page(known.result.text));
  });
});

describe('case 76 (policy): a locked account', () => {
  it('answers a wrong password exactly as for an unknown address; only the right password shows the lockout', async () => {
    // Locked for real: five wrong codes.
    const { agent } = await passwordStep(world, 'twofactor@example.com');
    await sendCode(agent, 'Phone Code');
    for (let i = 1; i <= 5; i++) await verifyCode(agent, { code: String(100000 + i) });
    const user = await world.services.users.findByEmail('twofactor@example.com');
    expect(user!.lockoutEnd).not.toBeNull();
    const wrong = await login('twofactor@example.com');
    const unknown = await login('nobody@example.com');
    expect(wrong.status).toBe(unknown.status);
    expect(page(wrong.text)).toBe(page(unknown.text));
    const right = await login('twofactor@example.com', PASSWORD);
    expect(right.text).toContain('This account has been locked out, please try again later.');
  });
});

describe('case 77: an unconfirmed account', () => {
  it('answers a wrong password as for an unknown address; the confirmation message comes only after the right one', async () => {
    const wrong = await login('unconfirmed@example.com');
    const unknown = await login('nobody@example.com');
    expect(page(wrong.text)).toBe(page(unknown.text));
    expect(wrong.text).not.toContain('confirmed email');
    const right = await login('unconfirmed@example.com', PASSWORD);
    expect(right.status).toBe(200);
    expect(right.text).toContain('You must have a confirmed email to log on.');
  });
});

describe('case 78: forgot password for unknown, known and unconfirmed addresses', () => {
  it('does no argon2 work on any of them, and the median times differ by less than 50 ms', async () => {
    const addresses = ['nobody@example.com', 'known@example.com', 'unconfirmed@example.com'];
    const times = new Map(addresses.map((a) => [a, [] as number[]]));
    const pages = new Set<string>();
    const { hash, verify } = await countHashing(world, async () => {
      for (let round = 0; round < 20; round++) {
        for (const email of addresses) {
          await world.knex('rate_limits').delete();
          const agent = world.agent();
          const _csrf = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/account/forgot-password')).text)![1];
          const started = performance.now();
          const res = await agent.post('/account/forgot-password').type('form').send({ email, _csrf });
          times.get(email)!.push(performance.now() - started);
          expect(res.status).toBe(200);
          pages.add(page(res.text.replace(/<div class="alert alert-info">[\s\S]*?<\/div>/, '')));
        }
      }
    });
    expect(hash.length + verify.length).toBe(0);
    expect(pages.size).toBe(1);
    const medians = addresses.map((a) => median(times.get(a)!));
    expect(Math.max(...medians) - Math.min(...medians), JSON.stringify(medians)).toBeLessThan(50);
    // Every address that has an account was mailed, confirmed or not (issue 14.3: the owner of an
    // address someone else registered takes the account back through a reset); the unknown one not.
    const mailed = await world.knex('outbox').where({ purpose: 'ResetPassword' }).distinct('recipient').pluck('recipient');
    expect(mailed.sort()).toEqual(['known@example.com', 'unconfirmed@example.com']);
  });
});

describe('case 79: registering an address that has an account', () => {
  it('shows the new-account page, costs the same argon2 work, and mails the owner instead', async () => {
    const register = (email: string) =>
      countHashing(world, () =>
        postForm(world.agent(), '/account/register', {
          email,
          password: 'a fresh passphrase 79',
          confirmPassword: 'a fresh passphrase 79',
        }),
      );
    const fresh = await register('brand.new79@example.com');
    const taken = await register('KNOWN@Example.com');
    const unconfirmed = await register('unconfirmed@example.com');
    const strip = (html: string) => page(html.replace(/<a data-demo-link[^>]*>[^<]*<\/a>/, ''));
    for (const r of [taken, unconfirmed]) {
      expect(r.result.status).toBe(fresh.result.status);
      expect(strip(r.result.text)).toBe(strip(fresh.result.text));
      expect(r.hash).toHaveLength(fresh.hash.length);
    }
    expect(fresh.hash).toHaveLength(1);
    const notices = await world
      .knex('outbox')
      .whereIn('purpose', ['AlreadyRegistered', 'UnconfirmedAccountNotice'])
      .orderBy('recipient')
      .select('recipient', 'purpose');
    // An unconfirmed account's notice also offers to confirm it or set a password of one's own (issue 14.3).
    expect(notices).toEqual([
      { recipient: 'known@example.com', purpose: 'AlreadyRegistered' },
      { recipient: 'unconfirmed@example.com', purpose: 'UnconfirmedAccountNotice' },
    ]);
    expect(await world.knex('users').whereRaw('lower(email) = ?', ['known@example.com'])).toHaveLength(1);
  });
});
