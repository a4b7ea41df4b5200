/**
 * Issue 14.8: bad input at the boundary. A control character or broken text in any field of
 * any form (a NUL in the login email gave a 500 from the database) is refused with a 400 and
 * the page's own form, the error beside the field, and nothing changes. The cases are generated
 * from the table of form fields below, and the table is checked against the app's route list,
 * so a new POST route without an entry here fails this file.
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputMessages } from '../../src/messages.js';
import { getCsrf, registerConfirmed, setup, signedInAgent, type Agent, type World } from '../helpers/setup.js';
import { PASSWORD, stateOf } from './helpers.js';

const USER = 'boundary@example.com';
const NEW_PASSWORD = 'a brand new passphrase';

/** Every POST route, with the fields its form sends (filled with values that would be accepted). */
const FORMS: Record<string, Record<string, string>> = {
  '/account/register': { email: 'fresh@example.com', password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD },
  '/account/login': { email: USER, password: PASSWORD, returnUrl: '/manage', rememberMe: 'true' },
  '/account/log-off': {},
  '/account/send-code': { selectedProvider: 'Email Code', returnUrl: '/', rememberMe: 'false' },
  '/account/verify-code': { provider: 'Email Code', code: '123456', returnUrl: '/', rememberMe: 'false', rememberBrowser: 'true' },
  '/account/cancel-sign-in': {},
  '/account/forgot-password': { email: USER },
  '/account/reset-password': {
    code: 'c29tZS1jb2Rl',
    userId: '00000000-0000-4000-8000-000000000000',
    password: NEW_PASSWORD,
    confirmPassword: NEW_PASSWORD,
  },
  '/account/external-login': { provider: 'Google', returnUrl: '/' },
  '/account/external-login-confirmation': { email: 'fresh@example.com' },
  '/account/confirm-email': { userId: '00000000-0000-4000-8000-000000000000', code: 'c29tZS1jb2Rl' },
  '/manage/add-phone-number': { phoneNumber: '+41791234567' },
  '/manage/verify-phone-number': { phoneNumber: '+41791234567', code: '123456' },
  '/manage/remove-phone-number': {},
  '/manage/enable-two-factor': {},
  '/manage/disable-two-factor': {},
  '/manage/remember-browser': {},
  '/manage/forget-browser': {},
  '/manage/change-password': { oldPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD },
  '/manage/set-password': { newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD },
  '/manage/link-login': { provider: 'Google' },
  '/manage/remove-login': { loginProvider: 'Google', providerKey: '1234567890' },
};

/** Fields the form page shows as inputs with an error slot, in the state this file is in (signed in, nothing pending). */
const VISIBLE: Record<string, string[]> = {
  '/account/register': ['email', 'password', 'confirmPassword'],
  '/account/login': ['email', 'password'],
  '/account/forgot-password': ['email'],
  '/manage/add-phone-number': ['phoneNumber'],
  '/manage/change-password': ['oldPassword', 'newPassword', 'confirmPassword'],
};

/** Refused text inside a value, as it travels in a urlencoded body (already percent-encoded). */
const FORM_VARIANTS: Record<string, string> = {
  NUL: '%00',
  'U+0001': '%01',
  'DEL (U+007F)': '%7F',
  'C1 NEL (U+0085)': '%C2%85',
  'lone high surrogate as UTF-8 (%ED%A0%80)': '%ED%A0%80',
  'lone low surrogate as UTF-8 (%ED%B0%80)': '%ED%B0%80',
  'overlong NUL (%C0%80)': '%C0%80',
  'byte %FF': '%FF',
  'U+FFFD (what a decoder makes of broken bytes)': '%EF%BF%BD',
  tab: '%09',
};

/** Refused text in a JSON body (the app also parses JSON). */
const JSON_VARIANTS: Record<string, string> = {
  'lone high surrogate': '\ud800',
  'lone low surrogate': '\udc00',
  NUL: '\u0000',
  'C1 (U+009F)': '\u009f',
};

/** The POST routes the app really has (walks Express's router). */
function postRoutes(app: Express): string[] {
  const paths: string[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route?.methods.post) paths.push(layer.route.path);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return paths.sort();
}

const cases = Object.entries(FORMS).flatMap(([path, fields]) =>
  // A button-only form still goes through the check: a field it does not expect is text too.
  (Object.keys(fields).length ? Object.keys(fields) : ['extra']).map((field) => ({ path, fields, field })),
);

let world: World;
let agent: Agent;
let csrf: string;
beforeAll(async () => {
  world = await setup();
  await registerConfirmed(world, USER);
  agent = await signedInAgent(world, USER);
  csrf = await getCsrf(agent, '/manage');
}, 60_000);
afterAll(() => world.close());

const snapshot = async () => ({
  ...(await stateOf(world, USER)),
  audit: Number((await world.knex('audit_events').count({ n: '*' }))[0].n),
  throttles: Number((await world.knex('rate_limits').count({ n: '*' }))[0].n),
});

function encodeForm(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

function expectRefused(res: { status: number; text: string }, path: string, field: string, label: string) {
  expect(res.status, label).toBe(400);
  expect(res.text, label).toContain(inputMessages.formRefused);
  if (VISIBLE[path]?.includes(field)) {
    expect(res.text, label).toContain(`id="field-${field}-error"`);
    expect(res.text, label).toContain(inputMessages.fieldRefused);
  }
}

describe('issue 14.8: one boundary check for every text field of every form', () => {
  it('the table lists every POST route of the app', () => {
    expect(Object.keys(FORMS).sort()).toEqual(postRoutes(world.app));
  });

  it.each(cases)(
    '$path › $field: every control character and broken text is refused with 400, changing nothing',
    async ({ path, fields, field }) => {
      const before = await snapshot();
      for (const [name, encoded] of Object.entries(FORM_VARIANTS)) {
        const body = `${encodeForm({ ...fields, [field]: '' })}`.replace(
          `${encodeURIComponent(field)}=`,
          `${encodeURIComponent(field)}=a${encoded}b`,
        );
        const res = await agent
          .post(path)
          .type('form')
          .send(`${body || `${field}=a${encoded}b`}&_csrf=${encodeURIComponent(csrf)}`);
        expectRefused(res, path, field, `${path} ${field} ${name}`);
      }
      for (const [name, text] of Object.entries(JSON_VARIANTS)) {
        const res = await agent
          .post(path)
          .type('json')
          .send(JSON.stringify({ ...fields, [field]: `a${text}b`, _csrf: csrf }));
        expectRefused(res, path, field, `${path} ${field} JSON ${name}`);
      }
      expect(await snapshot()).toEqual(before);
    },
  );

  it('refuses a control character in a field name too', async () => {
    const before = await snapshot();
    const named = await agent
      .post('/account/login')
      .type('form')
      .send(`email=${USER}&password=x&a%00b=1&_csrf=${encodeURIComponent(csrf)}`);
    expectRefused(named, '/account/login', '', 'field name');
    expect(await snapshot()).toEqual(before);
  });

  it('after all that, the account is untouched and still signed in, and ordinary text still works', async () => {
    expect((await agent.get('/manage')).status).toBe(200);
    const res = await agent.post('/account/forgot-password').type('form').send({ email: 'ünïcödé.ok@example.com', _csrf: csrf });
    expect(res.status).toBe(200);
    const emoji = await agent.post('/account/login').type('form').send({ email: USER, password: 'wrong 🔑 passphrase', _csrf: csrf });
    expect(emoji.status).toBe(200);
    expect(emoji.text).toContain('Invalid login attempt.');
  });
});
