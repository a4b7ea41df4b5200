import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RateLimiter } from '../../../src/identity/rate-limiter.js';
import { TokenStore, type TokenPurpose } from '../../../src/identity/token-store.js';
import { DuplicateEmailError, UserStore, type User } from '../../../src/db/stores/user-store.js';
import { createTestClock } from '../../helpers/setup.js';
import { openTestDatabase, type TestDatabase } from '../../helpers/test-databases.js';

/**
 * The specification every user store must pass (ASP.NET Identity's idea), run on this file's
 * own fresh database: PGlite by default, the Postgres server when DATABASE_URL is set. The real
 * SQL is what is tested; there is no in-memory fake to drift from it.
 */

let testDb: TestDatabase;
let db: Knex;
const store = new UserStore();

beforeAll(async () => {
  testDb = await openTestDatabase({ template: inject('pgTemplate'), snapshot: inject('pgliteSnapshot') });
  db = testDb.db.knex;
});
afterAll(() => testDb.dispose());

let serial = 0;
const uniqueEmail = (name = 'user') => `${name}-${++serial}@example.com`;
const newUser = (overrides: Partial<Parameters<UserStore['create']>[1]> = {}) =>
  store.create(db, { email: uniqueEmail(), passwordHash: 'hash-1', ...overrides });
const reload = async (user: User) => (await store.findById(db, user.id))!;
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('UserStore: creating and finding users', () => {
  it('creates a user with safe defaults: unconfirmed, lockout on, no 2FA, no phone, a random stamp', async () => {
    const email = uniqueEmail('ada');
    const user = await store.create(db, { email, passwordHash: 'hash-1' });
    expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(user).toMatchObject({
      email,
      userName: email,
      emailConfirmed: false,
      passwordHash: 'hash-1',
      phoneNumber: null,
      phoneNumberConfirmed: false,
      twoFactorEnabled: false,
      lockoutEnabled: true,
      lockoutEnd: null,
      accessFailedCount: 0,
    });
    expect(user.securityStamp.length).toBeGreaterThanOrEqual(16);
    expect(user.createdAt).toBeInstanceOf(Date);
    expect(user.updatedAt).toBeInstanceOf(Date);
  });

  it('takes a user name, a confirmed email, lockout off and no password when asked', async () => {
    const user = await newUser({ userName: uniqueEmail('name'), emailConfirmed: true, lockoutEnabled: false, passwordHash: null });
    expect(user).toMatchObject({ emailConfirmed: true, lockoutEnabled: false, passwordHash: null });
    expect(user.userName).not.toBe(user.email);
  });

  it('gives every user a different security stamp', async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    expect(a.securityStamp).not.toBe(b.securityStamp);
  });

  it('keeps the email as typed but finds it in any case', async () => {
    const email = `Mixed.Case-${++serial}@Example.COM`;
    const user = await newUser({ email });
    expect(user.email).toBe(email);
    expect((await store.findByEmail(db, email.toLowerCase()))?.id).toBe(user.id);
    expect((await store.findByEmail(db, email.toUpperCase()))?.id).toBe(user.id);
  });

  it('refuses a second account whose email differs only in case ("A@x.com" then "a@x.com")', async () => {
    const email = `A-${++serial}@x.com`;
    await newUser({ email });
    await expect(newUser({ email: email.toLowerCase() })).rejects.toBeInstanceOf(DuplicateEmailError);
  });

  it('lets exactly one of ten parallel registrations of one address succeed', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.allSettled(range(10).map(() => newUser({ email })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEmailError);
    }
  });

  it('finds a user by id, and returns undefined for an unknown id or one that is not a uuid', async () => {
    const user = await newUser();
    expect((await store.findById(db, user.id))?.email).toBe(user.email);
    expect(await store.findById(db, crypto.randomUUID())).toBeUndefined();
    for (const bad of ['', 'not-a-uuid', '1', "1' OR '1'='1", `${user.id}x`]) {
      expect(await store.findById(db, bad)).toBeUndefined();
    }
  });

  it('returns undefined for an unknown email', async () => {
    expect(await store.findByEmail(db, 'nobody@example.com')).toBeUndefined();
  });

  it('lists users oldest first, in pages, and counts them', async () => {
    const before = await store.count(db);
    const created = [await newUser(), await newUser(), await newUser()];
    expect(await store.count(db)).toBe(before + 3);
    const all = await store.list(db, { limit: 10_000 });
    expect(all).toHaveLength(before + 3);
    expect(all.slice(-3).map((u) => u.id)).toEqual(created.map((u) => u.id));
    const page = await store.list(db, { limit: 2, offset: before + 1 });
    expect(page.map((u) => u.id)).toEqual(created.slice(1).map((u) => u.id));
  });
});

describe('UserStore: the security stamp', () => {
  const rotates: Array<[string, (user: User) => Promise<User | undefined>]> = [
    ['changing the password', (u) => store.setPasswordHash(db, u.id, 'hash-2')],
    ['removing the password', (u) => store.setPasswordHash(db, u.id, null)],
    ['setting the phone number', (u) => store.setPhoneNumber(db, u.id, '+41791234567', true)],
    ['removing the phone number', (u) => store.setPhoneNumber(db, u.id, null, false)],
    ['turning two-factor on', (u) => store.setTwoFactorEnabled(db, u.id, true)],
    ['turning two-factor off', (u) => store.setTwoFactorEnabled(db, u.id, false)],
    ['updateSecurityStamp', (u) => store.updateSecurityStamp(db, u.id)],
  ];
  for (const [change, apply] of rotates) {
    it(`${change} rotates the security stamp`, async () => {
      const user = await newUser();
      const updated = await apply(user);
      expect(updated!.securityStamp).not.toBe(user.securityStamp);
      expect((await reload(user)).securityStamp).toBe(updated!.securityStamp);
    });
  }

  const keeps: Array<[string, (user: User) => Promise<User | undefined>]> = [
    ['confirming the email', (u) => store.setEmailConfirmed(db, u.id)],
    [
      'counting a failed attempt',
      async (u) => {
        await store.incrementAccessFailedCountUnlessLockedOut(db, u.id, new Date());
        return reload(u);
      },
    ],
    ['resetting the failure count', (u) => store.resetAccessFailedCount(db, u.id)],
    ['setting a lockout end', (u) => store.setLockoutEnd(db, u.id, new Date(Date.now() + 60_000))],
  ];
  for (const [change, apply] of keeps) {
    it(`${change} keeps the security stamp`, async () => {
      const user = await newUser();
      await apply(user);
      expect((await reload(user)).securityStamp).toBe(user.securityStamp);
    });
  }

  it('stores what each change says it stores', async () => {
    const user = await newUser();
    expect((await store.setPasswordHash(db, user.id, 'hash-2'))!.passwordHash).toBe('hash-2');
    expect((await store.setEmailConfirmed(db, user.id))!.emailConfirmed).toBe(true);
    expect(await store.setPhoneNumber(db, user.id, '+41791234567', true)).toMatchObject({
      phoneNumber: '+41791234567',
      phoneNumberConfirmed: true,
    });
    expect((await store.setTwoFactorEnabled(db, user.id, true))!.twoFactorEnabled).toBe(true);
    const updated = await reload(user);
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(user.updatedAt.getTime());
  });

  it('answers undefined when the user to change does not exist', async () => {
    const ghost = crypto.randomUUID();
    expect(await store.setPasswordHash(db, ghost, 'x')).toBeUndefined();
    expect(await store.updateSecurityStamp(db, ghost)).toBeUndefined();
    expect(await store.incrementAccessFailedCountUnlessLockedOut(db, ghost, new Date())).toBeUndefined();
  });
});

describe('UserStore: failed attempts and lockout', () => {
  it('counts 20 parallel failed attempts as exactly 20, each new count returned once', async () => {
    const user = await newUser();
    const attempts = await Promise.all(range(20).map(() => store.incrementAccessFailedCountUnlessLockedOut(db, user.id, new Date())));
    expect(attempts.map((a) => a!.count).sort((a, b) => a - b)).toEqual(range(20));
    expect((await reload(user)).accessFailedCount).toBe(20);
  });

  it('resets the count to zero', async () => {
    const user = await newUser();
    await store.incrementAccessFailedCountUnlessLockedOut(db, user.id, new Date());
    expect((await store.resetAccessFailedCount(db, user.id))!.accessFailedCount).toBe(0);
  });

  it('setting a lockout end resets the failure count; clearing it leaves no lockout', async () => {
    const user = await newUser();
    await store.incrementAccessFailedCountUnlessLockedOut(db, user.id, new Date());
    await store.incrementAccessFailedCountUnlessLockedOut(db, user.id, new Date());
    const until = new Date(Date.UTC(2030, 0, 1, 12, 0, 0));
    const locked = await store.setLockoutEnd(db, user.id, until);
    expect(locked).toMatchObject({ accessFailedCount: 0, lockoutEnd: until });
    expect((await reload(user)).lockoutEnd?.toISOString()).toBe(until.toISOString());
    expect((await store.setLockoutEnd(db, user.id, null))!.lockoutEnd).toBeNull();
  });
});

describe('UserStore: roles', () => {
  it('adds a user to a role, creating the role on first use', async () => {
    const user = await newUser();
    const role = `Role-${++serial}`;
    await store.addToRole(db, user.id, role);
    expect(await store.getRoles(db, user.id)).toEqual([role]);
    expect(await db('roles').where({ name: role })).toHaveLength(1);
  });

  it('adding the same role twice, or in another case, changes nothing', async () => {
    const user = await newUser();
    await store.addToRole(db, user.id, 'Editor');
    await store.addToRole(db, user.id, 'Editor');
    await store.addToRole(db, user.id, 'EDITOR');
    expect(await store.getRoles(db, user.id)).toEqual(['Editor']);
    expect(await db('user_roles').where({ user_id: user.id })).toHaveLength(1);
  });

  it('creates one role when ten users are added to a new role in parallel', async () => {
    const role = `Parallel-${++serial}`;
    const users = await Promise.all(range(10).map(() => newUser()));
    await Promise.all(users.map((u) => store.addToRole(db, u.id, role)));
    expect(await db('roles').where({ name: role })).toHaveLength(1);
    for (const u of users) expect(await store.getRoles(db, u.id)).toEqual([role]);
  });

  it('createRole returns the existing role for a name in any case', async () => {
    const first = await store.createRole(db, `Auditor-${++serial}`);
    const again = await store.createRole(db, first.name.toUpperCase());
    expect(again).toEqual(first);
  });

  it('lists roles sorted by name', async () => {
    const user = await newUser();
    for (const role of ['Zeta', 'Admin', 'Moderator']) await store.addToRole(db, user.id, role);
    expect(await store.getRoles(db, user.id)).toEqual(['Admin', 'Moderator', 'Zeta']);
    expect(await store.getRoles(db, (await newUser()).id)).toEqual([]);
  });
});

// The schema's cascades, which deleteUnconfirmedCreatedBefore relies on.
describe('Deleting a user row', () => {
  it('deletes the user with their roles, tokens, logins, sessions and browsers; audit rows stay', async () => {
    const user = await newUser();
    await store.addToRole(db, user.id, 'Editor');
    await new TokenStore(crypto.randomBytes(32), () => new Date()).issue(db, {
      userId: user.id,
      purpose: 'ResetPassword',
      securityStamp: user.securityStamp,
      ttlMs: 60_000,
    });
    await db('user_logins').insert({ login_provider: 'Google', provider_key: `g-${user.id}`, user_id: user.id });
    await db('sessions').insert({ sid: `s-${user.id}`, user_id: user.id, data: '{}', expires: new Date(Date.now() + 60_000) });
    await db('remembered_browsers').insert({
      user_id: user.id,
      token_hash: `b-${user.id}`,
      security_stamp: user.securityStamp,
      expires_at: new Date(Date.now() + 60_000),
    });
    const [audit] = await db('audit_events').insert({ user_id: user.id, event_type: 'Test' }).returning('id');

    expect(await db('users').where({ id: user.id }).delete()).toBe(1);

    expect(await store.findById(db, user.id)).toBeUndefined();
    for (const table of ['user_roles', 'user_tokens', 'user_logins', 'sessions', 'remembered_browsers']) {
      expect(await db(table).where({ user_id: user.id }), table).toHaveLength(0);
    }
    expect(await db('roles').where({ name: 'Editor' })).toHaveLength(1);
    const kept = await db('audit_events').where({ id: audit.id }).first();
    expect(kept.user_id).toBeNull();
  });
});

describe('TokenStore', () => {
  const TTL = 10 * 60_000;
  const setup = async () => {
    const clock = createTestClock(Date.UTC(2030, 0, 1));
    const tokens = new TokenStore(crypto.randomBytes(32), clock);
    const user = await newUser();
    const issue = (purpose: TokenPurpose = 'ResetPassword', target: string | null = user.email, secret?: string) =>
      tokens.issue(db, { userId: user.id, purpose, target, securityStamp: user.securityStamp, ttlMs: TTL, secret });
    const consume = (secret: string, changes: Partial<Parameters<TokenStore['consume']>[1]> = {}) =>
      tokens.consume(db, {
        userId: user.id,
        purpose: 'ResetPassword',
        target: user.email,
        securityStamp: user.securityStamp,
        secret,
        ...changes,
      });
    return { clock, tokens, user, issue, consume };
  };

  it('issues a random 256-bit URL-safe secret and stores only a keyed hash of it', async () => {
    const { user, issue } = await setup();
    const secret = await issue();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await issue()).not.toBe(secret);
    const rows = await db('user_tokens').where({ user_id: user.id });
    for (const row of rows) {
      expect(row.token_hash).not.toContain(secret);
      expect(JSON.stringify(row)).not.toContain(secret);
    }
  });

  it('accepts a token once', async () => {
    const { issue, consume } = await setup();
    const secret = await issue();
    expect(await consume(secret)).toBe(true);
    expect(await consume(secret)).toBe(false);
  });

  it('lets exactly one of two parallel uses of a token win (and one of ten)', async () => {
    const { issue, consume } = await setup();
    const two = await issue();
    expect((await Promise.all([consume(two), consume(two)])).filter(Boolean)).toHaveLength(1);
    const ten = await issue();
    expect((await Promise.all(range(10).map(() => consume(ten)))).filter(Boolean)).toHaveLength(1);
  });

  it('refuses a token for another purpose, target, user or secret', async () => {
    const { issue, consume } = await setup();
    const other = await newUser();
    const secret = await issue('ResetPassword', 'first@example.com');
    const target = { target: 'first@example.com' };
    expect(await consume(secret, { ...target, purpose: 'EmailConfirmation' })).toBe(false);
    expect(await consume(secret, { target: 'second@example.com' })).toBe(false);
    expect(await consume(secret, { target: null })).toBe(false);
    expect(await consume(secret, { ...target, userId: other.id, securityStamp: other.securityStamp })).toBe(false);
    expect(await consume(`${secret}x`, target)).toBe(false);
    expect(await consume(secret.slice(0, -1), target)).toBe(false);
    // None of those wrong guesses used the token up.
    expect(await consume(secret, target)).toBe(true);
  });

  it('binds a code to the phone number it was sent to', async () => {
    const { issue, consume } = await setup();
    const code = await issue('PhoneNumberVerification', '+41791234567', '123456');
    expect(code).toBe('123456');
    const phone = { purpose: 'PhoneNumberVerification' as const };
    expect(await consume('123456', { ...phone, target: '+41790000000' })).toBe(false);
    expect(await consume('123456', { ...phone, target: '+41791234567' })).toBe(true);
  });

  it('refuses a token once the security stamp has changed', async () => {
    const { user, issue, consume } = await setup();
    const secret = await issue();
    const changed = (await store.setPasswordHash(db, user.id, 'hash-2'))!;
    expect(await consume(secret, { securityStamp: changed.securityStamp })).toBe(false);
  });

  it('accepts a token until its time to live is over, and not after', async () => {
    const { clock, issue, consume } = await setup();
    const early = await issue();
    clock.advance(TTL - 1);
    expect(await consume(early)).toBe(true);

    const late = await issue();
    clock.advance(TTL);
    expect(await consume(late)).toBe(false);
  });

  it('voids the earlier token of the same purpose when a new one is issued, and only that purpose', async () => {
    const { clock, issue, consume } = await setup();
    const confirmation = await issue('EmailConfirmation');
    const first = await issue();
    clock.advance(1_000);
    const second = await issue();
    expect(await consume(first)).toBe(false);
    expect(await consume(second)).toBe(true);
    expect(await consume(confirmation, { purpose: 'EmailConfirmation' })).toBe(true);
  });
});

describe('RateLimiter', () => {
  const rule = { limit: 5, windowMs: 60_000 };
  const setup = () => {
    const clock = createTestClock(Date.UTC(2030, 0, 1));
    return { clock, limiter: new RateLimiter(db, clock), key: `test:${++serial}` };
  };

  it('allows exactly 5 of 20 parallel hits with a limit of 5, counting each once', async () => {
    const { limiter, key } = setup();
    const results = await Promise.all(range(20).map(() => limiter.hit(key, rule)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(range(20));
    for (const r of results) expect(r.allowed).toBe(r.count <= 5);
  });

  it('denies the hit over the limit until the window ends, then starts a new window', async () => {
    const { clock, limiter, key } = setup();
    const start = clock().getTime();
    for (let i = 1; i <= 5; i++) expect(await limiter.hit(key, rule)).toMatchObject({ allowed: true, count: i });
    const over = await limiter.hit(key, rule);
    expect(over).toMatchObject({ allowed: false, count: 6 });
    expect(over.resetAt.getTime()).toBe(start + rule.windowMs);

    clock.advance(rule.windowMs - 1);
    expect((await limiter.hit(key, rule)).allowed).toBe(false);

    clock.advance(1);
    const fresh = await limiter.hit(key, rule);
    expect(fresh).toMatchObject({ allowed: true, count: 1 });
    expect(fresh.resetAt.getTime()).toBe(start + 2 * rule.windowMs);
  });

  it('counts each key on its own', async () => {
    const { limiter, key } = setup();
    for (let i = 0; i < 6; i++) await limiter.hit(key, rule);
    expect((await limiter.hit(`${key}:other`, rule)).allowed).toBe(true);
  });

  it('hitAll counts every rule and fails when any fails, with the latest reset time', async () => {
    const { clock, limiter, key } = setup();
    const tight = { limit: 1, windowMs: 10_000 };
    const loose = { limit: 100, windowMs: 60_000 };
    const first = await limiter.hitAll([
      [`${key}:a`, tight],
      [`${key}:b`, loose],
    ]);
    expect(first.allowed).toBe(true);
    const second = await limiter.hitAll([
      [`${key}:a`, tight],
      [`${key}:b`, loose],
    ]);
    expect(second).toMatchObject({ allowed: false, count: 2 });
    expect(second.resetAt.getTime()).toBe(clock().getTime() + tight.windowMs);
    // The loose rule counted both hits even though the tight one failed.
    expect((await limiter.hit(`${key}:b`, loose)).count).toBe(3);
  });

  it('reset forgets a key, and pruneExpired removes only ended windows', async () => {
    const { clock, limiter, key } = setup();
    for (let i = 0; i < 6; i++) await limiter.hit(key, rule);
    await limiter.reset(key);
    expect(await limiter.hit(key, rule)).toMatchObject({ allowed: true, count: 1 });

    await limiter.hit(`${key}:long`, { limit: 5, windowMs: 10 * rule.windowMs });
    clock.advance(rule.windowMs);
    // The number of windows removed, as a number on both databases.
    expect(await limiter.pruneExpired()).toBeGreaterThanOrEqual(1);
    expect(await db('rate_limits').where({ key })).toHaveLength(0);
    expect(await db('rate_limits').where({ key: `${key}:long` })).toHaveLength(1);
  });
});
