import { expect } from 'vitest';
import { csrfFrom, getCsrf, PASSWORD, type Agent, type World } from '../helpers/setup.js';
import { PHONE_E164 } from '../helpers/two-factor.js';

/**
 * Shared pieces of the attack suite (test/security). Accounts are made straight through the
 * identity layer where the way they were made is not what a test is about: one argon2 hash
 * instead of a register + confirm round trip, which matters on a busy two-core machine.
 */

export { PASSWORD };

export interface AccountOptions {
  password?: string | null;
  confirmed?: boolean;
  /** A verified phone number (E.164). */
  phone?: string;
  twoFactor?: boolean;
}

/** A confirmed account (by default), with a verified phone and two-factor on if asked. */
export async function account(world: World, email: string, options: AccountOptions = {}) {
  const { users, store } = world.services;
  const password = options.password === undefined ? PASSWORD : options.password;
  const created = await users.createUser({ email, password: password ?? undefined, emailConfirmed: options.confirmed ?? true });
  if (!created.succeeded) throw new Error(created.errors.join(' '));
  let user = created.value;
  if (options.phone || options.twoFactor) user = (await store.setPhoneNumber(world.knex, user.id, options.phone ?? PHONE_E164, true))!;
  if (options.twoFactor) user = (await store.setTwoFactorEnabled(world.knex, user.id, true))!;
  return user;
}

export const userRow = (world: World, email: string) => world.knex('users').where({ email }).first();

const count = async (world: World, table: string) => Number((await world.knex(table).count<{ n: number }[]>('* as n'))[0].n);

/**
 * "State unchanged" from the catalogue: the user's row, and how many rows the tables that
 * record a change hold (messages sent, tokens issued, logins, remembered browsers).
 */
export async function stateOf(world: World, email: string) {
  const row = await userRow(world, email);
  return {
    user: row,
    outbox: await count(world, 'outbox'),
    tokens: await count(world, 'user_tokens'),
    logins: await count(world, 'user_logins'),
    browsers: await count(world, 'remembered_browsers'),
    users: await count(world, 'users'),
  };
}

/** The session cookie's id as the store keys it (`s:<sid>.<signature>`, URL-encoded). */
export function sidFromSetCookie(res: { headers: Record<string, unknown> }, name = 'gatehouse.sid'): string | undefined {
  const cookies = ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []);
  const raw = cookies.find((c) => c.startsWith(`${name}=`));
  if (!raw) return undefined;
  const value = decodeURIComponent(raw.slice(name.length + 1).split(';')[0]);
  return value.startsWith('s:') ? value.slice(2).split('.')[0] : undefined;
}

/** The `name=value` part of a Set-Cookie header, to replay it from another "browser". */
export function cookiePair(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const cookies = ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []);
  return cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0];
}

export const setCookies = (res: { headers: Record<string, unknown> }) =>
  ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []);

/** Signed in? (the account page answers 200 only to a signed-in browser). */
export const isSignedIn = async (agent: Agent) => (await agent.get('/manage')).status === 200;

/** Posts a form with the token of `formPath` in this browser. */
export async function post(agent: Agent, path: string, fields: Record<string, string> | string, formPath = '/account/login') {
  const _csrf = await getCsrf(agent, formPath);
  if (typeof fields === 'string')
    return agent
      .post(path)
      .type('form')
      .send(`${fields}&_csrf=${encodeURIComponent(_csrf)}`);
  return agent
    .post(path)
    .type('form')
    .send({ ...fields, _csrf });
}

/** The token a page in this browser carries. */
export async function tokenOf(agent: Agent, path = '/account/login') {
  return csrfFrom((await agent.get(path)).text);
}

/** Counts calls into the password hasher (argon2) while `fn` runs; returns the lengths seen. */
export async function countHashing<T>(world: World, fn: () => Promise<T>) {
  const hasher = world.services.hasher;
  const original = { hash: hasher.hash, verify: hasher.verify };
  const seen = { hash: [] as string[], verify: [] as Array<{ hash: string; password: string }> };
  hasher.hash = async (password) => {
    seen.hash.push(password);
    return original.hash(password);
  };
  hasher.verify = async (hash, password) => {
    seen.verify.push({ hash, password });
    return original.verify(hash, password);
  };
  try {
    const result = await fn();
    return { result, ...seen };
  } finally {
    hasher.hash = original.hash;
    hasher.verify = original.verify;
  }
}

/** A page without the parts that differ per request (CSRF token, demo links, echoed values). */
export const visible = (html: string) =>
  html
    .replace(/name="_csrf" value="[^"]*"|name="csrf-token" content="[^"]*"/g, '')
    .replace(/value="[^"]*"/g, 'value=""')
    .replace(/\s+/g, ' ');

export function expectRedirectToLogin(res: { status: number; headers: Record<string, string> }) {
  expect(res.status).toBe(302);
  expect(res.headers.location).toMatch(/^\/account\/login/);
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
