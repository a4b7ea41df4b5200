import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestClock,
  csrfFrom,
  demoLinkFrom,
  localPath,
  PASSWORD,
  registerConfirmed,
  setup,
  type Agent,
  type World,
} from '../../helpers/setup.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  // One proxy hop trusted, so each test can speak from its own client address.
  world = await setup({ env: { TRUST_PROXY: '1' }, overrides: { clock } });
});
afterAll(() => world.close());

let lastIp = 0;
const nextIp = () => `203.0.113.${++lastIp}`;

/** A browser behind its own IP address. */
function browser(ip = nextIp()) {
  const agent = world.agent();
  const post = async (path: string, fields: Record<string, string>, formPath = path) => {
    const page = await agent.get(formPath).set('X-Forwarded-For', ip);
    return agent
      .post(path)
      .set('X-Forwarded-For', ip)
      .type('form')
      .send({ ...fields, _csrf: csrfFrom(page.text) });
  };
  const get = (path: string) => agent.get(path).set('X-Forwarded-For', ip);
  const login = (email: string, password: string) => post('/account/login', { email, password }, '/account/login');
  return { agent: agent as Agent, ip, post, get, login };
}

const MINUTES = 60_000;

describe('sign-in throttling', () => {
  it('refuses the 11th attempt on an account within 15 minutes, even with the right password', async () => {
    const email = await registerConfirmed(world, 'target@example.com');
    for (let i = 0; i < 10; i++) {
      const res = await browser().login(email, `wrong guess ${i}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('Invalid login attempt.');
    }
    const blocked = await browser().login(email, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('Too many sign-in attempts. Please wait a few minutes and try again.');
    expect(blocked.headers['retry-after']).toBeDefined();
    expect(await world.knex('audit_events').where({ event_type: 'SignInThrottled' })).not.toHaveLength(0);

    clock.advance(15 * MINUTES);
    expect((await browser().login(email, PASSWORD)).status).toBe(303);
  });

  it('lets the owner in from a browser that signed in before, while guessers are throttled', async () => {
    const email = await registerConfirmed(world, 'owner@example.com');
    const owner = browser();
    expect((await owner.login(email, PASSWORD)).status).toBe(303);
    const home = await owner.get('/');
    expect(String(home.headers['set-cookie'])).toMatch(/gatehouse\.device=[\w-]+\.[\w-]+;.*HttpOnly/);
    await owner.post('/account/log-off', {}, '/');

    for (let i = 0; i < 12; i++) await browser().login(email, `attacker guess ${i}`);
    expect((await browser().login(email, PASSWORD)).status).toBe(429);
    expect((await owner.login(email, PASSWORD)).status).toBe(303);
  });

  it("does not accept one account's device cookie for another account", async () => {
    const mine = await registerConfirmed(world, 'mine@example.com');
    const theirs = await registerConfirmed(world, 'theirs@example.com');
    const attacker = browser();
    await attacker.login(mine, PASSWORD);
    await attacker.get('/');
    await attacker.post('/account/log-off', {}, '/');
    for (let i = 0; i < 10; i++) await attacker.login(theirs, `guess ${i}`);
    expect((await attacker.login(theirs, PASSWORD)).status).toBe(429);
  });

  it('counts unknown addresses the same way, so throttling reveals nothing (I75)', async () => {
    for (let i = 0; i < 10; i++) await browser().login('no.such.user@example.com', `guess ${i}`);
    expect((await browser().login('no.such.user@example.com', 'guess')).status).toBe(429);
  });

  it('limits one IP address to 50 attempts in 15 minutes, whatever the accounts (spraying)', async () => {
    const sprayer = browser();
    for (let i = 0; i < 50; i++) {
      expect((await sprayer.login(`spray${i}@example.com`, 'Summer2024!')).status).toBe(200);
    }
    expect((await sprayer.login('spray-last@example.com', 'Summer2024!')).status).toBe(429);
  });

  it('ends the throttle of an account whose owner resets the password (D37)', async () => {
    const email = await registerConfirmed(world, 'reset.unlocks@example.com');
    for (let i = 0; i < 11; i++) await browser().login(email, `guess ${i}`);
    expect((await browser().login(email, PASSWORD)).status).toBe(429);
    const requested = await browser().post('/account/forgot-password', { email });
    const link = localPath(demoLinkFrom(requested.text));
    const resetter = browser();
    await resetter.get(link);
    const fresh = 'a fresh passphrase for me';
    const done = await resetter.post(
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
    expect((await browser().login(email, fresh)).status).toBe(303);
  });
});

describe('forgot-password limits', () => {
  it('mails one address at most 3 times an hour, with the same page every time (D40)', async () => {
    const email = await registerConfirmed(world, 'flooded@example.com');
    const pages: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await browser().post('/account/forgot-password', { email });
      expect(res.status).toBe(200);
      expect(res.text).toContain('Please check your email to reset your password.');
      pages.push(res.text);
    }
    const mails = () => world.knex('outbox').where({ recipient: email, purpose: 'ResetPassword' });
    expect(await mails()).toHaveLength(3);
    clock.advance(60 * MINUTES);
    await browser().post('/account/forgot-password', { email });
    expect(await mails()).toHaveLength(4);
  });

  it('answers 429 after 20 requests from one IP address in an hour', async () => {
    const client = browser();
    for (let i = 0; i < 20; i++) {
      expect((await client.post('/account/forgot-password', { email: `someone${i}@example.com` })).status).toBe(200);
    }
    const res = await client.post('/account/forgot-password', { email: 'one.more@example.com' });
    expect(res.status).toBe(429);
    expect(res.text).toContain('Too many requests. Please wait a while and try again.');
  });
});
