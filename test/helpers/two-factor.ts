import { expect } from 'vitest';
import { getCsrf, PASSWORD, postForm, registerConfirmed, signedInAgent, type Agent, type World } from './setup.js';

/** Sending limits out of the way, for files that are not about them. */
export const relaxedSendLimits = {
  CODE_SEND_INTERVAL_SECONDS: '0',
  CODE_SEND_PER_TARGET_PER_HOUR: '10000',
  CODE_SEND_PER_USER_PER_HOUR: '10000',
  CODE_SEND_PER_IP_PER_HOUR: '100000',
};

/**
 * These tests sign in many times from one address; the sign-in throttle (which has its own
 * tests) would refuse them. Only its counters are cleared: the code-sending limits stay.
 */
export const clearSignInThrottle = (world: World) => world.knex('rate_limits').where('key', 'like', 'signin:%').delete();

/** A six-digit code that is not `code` (the i-th one after it). */
export const wrongFor = (code: string, i = 1) => String((Number(code) + i) % 1_000_000).padStart(6, '0');

export const PHONE = '+41 79 123 45 67';
export const PHONE_E164 = '+41791234567';

/** The code a demo-mode page shows in its `data-demo-code` element. */
export function demoCodeFrom(html: string): string {
  const match = /data-demo-code>(\d{6})</.exec(html);
  if (!match) throw new Error('no demo code on the page');
  return match[1];
}

/** The newest code recorded in the outbox for a number or address (tests only). */
export async function latestCode(world: World, recipient: string, purpose: string): Promise<string> {
  const row = await world.knex('outbox').where({ recipient, purpose }).orderBy('id', 'desc').first();
  if (!row?.secret) throw new Error(`no ${purpose} code for ${recipient}`);
  return row.secret;
}

export async function userByEmail(world: World, email: string) {
  const user = await world.services.store.findByEmail(world.knex, email);
  if (!user) throw new Error(`no user ${email}`);
  return user;
}

/** Adds and verifies a phone number through the Manage pages (demo mode). */
export async function addConfirmedPhone(agent: Agent, phone = PHONE): Promise<void> {
  const sent = await postForm(agent, '/manage/add-phone-number', { phoneNumber: phone });
  expect(sent.status).toBe(303);
  const page = await agent.get(sent.headers.location);
  const verified = await postForm(
    agent,
    '/manage/verify-phone-number',
    {
      phoneNumber: /name="phoneNumber" value="([^"]+)"/.exec(page.text)![1],
      code: demoCodeFrom(page.text),
    },
    sent.headers.location,
  );
  expect(verified.headers.location).toBe('/manage?message=AddPhoneSuccess');
}

export async function enableTwoFactor(agent: Agent): Promise<void> {
  const res = await postForm(agent, '/manage/enable-two-factor', {}, '/manage');
  expect(res.headers.location).toBe('/manage?message=SetTwoFactorSuccess');
}

/** A confirmed account with two-factor on (and a verified phone unless `phone: false`). */
export async function twoFactorAccount(world: World, email: string, options: { phone?: boolean } = {}) {
  await registerConfirmed(world, email);
  const agent = await signedInAgent(world, email);
  if (options.phone !== false) await addConfirmedPhone(agent);
  await enableTwoFactor(agent);
  return userByEmail(world, email);
}

/** The password step of a two-factor sign-in, in a fresh browser (or the one given). */
export async function passwordStep(world: World, email: string, agent: Agent = world.agent(), extra: Record<string, string> = {}) {
  const res = await postForm(agent, '/account/login', { email, password: PASSWORD, ...extra }, '/account/login');
  return { agent, res };
}

export async function sendCode(agent: Agent, selectedProvider: string) {
  return postForm(agent, '/account/send-code', { selectedProvider }, '/account/send-code');
}

/** Posts the Verify Code form (the token comes from the login page, which any visitor gets). */
export async function verifyCode(agent: Agent, fields: Record<string, string>) {
  const _csrf = await getCsrf(agent, '/account/login');
  return agent
    .post('/account/verify-code')
    .type('form')
    .send({ provider: 'Phone Code', ...fields, _csrf });
}

/** Password, Send Code and the right code: a signed-in browser through both factors. */
export async function twoFactorSignIn(
  world: World,
  email: string,
  options: { provider?: string; agent?: Agent; login?: Record<string, string>; verify?: Record<string, string> } = {},
) {
  const provider = options.provider ?? 'Phone Code';
  const { agent } = await passwordStep(world, email, options.agent, options.login);
  const sent = await sendCode(agent, provider);
  expect(sent.status).toBe(303);
  const page = await agent.get(sent.headers.location);
  const res = await verifyCode(agent, { provider, code: demoCodeFrom(page.text), ...options.verify });
  return { agent, res };
}

export const auditCount = async (world: World, type: string, userId?: string) => {
  const query = world.knex('audit_events').where({ event_type: type });
  if (userId) query.where({ user_id: userId });
  const [{ n }] = await query.count<{ n: number | string }[]>('* as n');
  return Number(n);
};
