/**
 * Issue 14.8 (second half): phone numbers and email addresses never appear in logged URLs.
 * The request log is captured as in l-logging.test.ts: pino at trace level into memory.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, setup, signedInAgent, type World } from '../helpers/setup.js';
import { account, PASSWORD } from './helpers.js';

const logLines: string[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

let world: World;
beforeAll(async () => {
  world = await setup({ overrides: { logger: pino({ level: 'trace' }, logStream) } });
});
afterAll(() => world.close());

/** The URLs the request log wrote, decoded, so no encoding hides a number or an address. */
const loggedUrls = () =>
  logLines
    .map((line) => JSON.parse(line) as { req?: { url?: string } })
    .flatMap((entry) => (entry.req?.url ? [entry.req.url] : []))
    .map((url) => {
      let decoded = url;
      for (let i = 0; i < 3; i++) decoded = decodeURIComponent(decoded.replace(/\+/g, ' '));
      return decoded;
    });

const PHONE_DIGITS = '791234567';
const EMAIL = 'private.person@example.com';

describe('issue 14.8: no phone number or email address in a logged URL', () => {
  it('Verify Phone Number, a return URL that carries one, and any query parameter holding an address', async () => {
    await account(world, 'logger@example.com');
    const agent = await signedInAgent(world, 'logger@example.com', PASSWORD);
    const added = await postForm(agent, '/manage/add-phone-number', { phoneNumber: `+41 ${PHONE_DIGITS}` });
    expect(added.status).toBe(303);
    expect(added.headers.location).toContain(`phoneNumber=%2B41${PHONE_DIGITS}`);
    logLines.length = 0;

    expect((await agent.get(added.headers.location)).status).toBe(200);
    // Signed out, the same page sends the browser to sign-in with the whole URL as returnUrl.
    const signedOut = await world.agent().get(added.headers.location);
    expect(signedOut.status).toBe(302);
    expect((await world.agent().get(signedOut.headers.location)).status).toBe(200);
    await world
      .agent()
      .get(`/account/login?email=${encodeURIComponent(EMAIL)}&returnUrl=${encodeURIComponent(`/manage?contact=${EMAIL}`)}`);
    await world.agent().get(`/account/forgot-password?Email=${encodeURIComponent(EMAIL)}&phone=%2B41${PHONE_DIGITS}`);
    await world.agent().get(`/no-such-page/${EMAIL}/+41${PHONE_DIGITS}`);

    // A form refused at the input boundary is logged as the POST it was (issue 14.8).
    await postForm(agent, '/account/forgot-password', { email: `a\u0000${EMAIL}` });
    const refusedLine = logLines
      .map((l) => JSON.parse(l))
      .find((e) => e.req?.url === '/account/forgot-password' && e.res?.statusCode === 400);
    expect(refusedLine?.req.method).toBe('POST');

    const urls = loggedUrls();
    expect(urls.length).toBeGreaterThanOrEqual(6);
    expect(urls.some((u) => u.startsWith('/manage/verify-phone-number?'))).toBe(true);
    for (const url of urls) {
      expect(url).not.toContain(PHONE_DIGITS);
      expect(url).not.toContain(EMAIL);
      expect(url).not.toContain('@');
    }
  });
});
