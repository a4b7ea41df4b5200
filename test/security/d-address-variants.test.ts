/**
 * Issue 14.2: one address, many throttle buckets. The email column is citext, so the database
 * treats some spellings of an address as the same account; every such spelling, and every
 * spelling our normal form merges, must share one budget.
 *
 * Measured on both databases (PGlite 18 with C/C.UTF-8, Postgres 15 with C.UTF-8): citext
 * matches `irina@example.com` for `Irina`, `IRINA`, `irina@EXAMPLE.com` and U+0130 (İ) in any
 * position (lower('İ') = 'i'), and `kate@example.com` for U+212A (Kelvin sign K). It does not
 * match U+0131 (dotless ı), fullwidth letters, or NFD against NFC. JavaScript's toLowerCase()
 * turns İ into "i" + U+0307, which is why each İ spelling used to get a fresh budget.
 * Our normal form (src/identity/email-address.ts) also merges fullwidth letters (NFKC) and
 * NFD with NFC, so those share the budget too.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock, csrfFrom, setup, type World } from '../helpers/setup.js';
import { account, PASSWORD } from './helpers.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  // The registration limit per address (14.4) out of the way: the notice mails are under test here.
  world = await setup({ env: { TRUST_PROXY: '1', REGISTER_ATTEMPTS_PER_ADDRESS: '1000' }, overrides: { clock } });
});
afterAll(() => world.close());
beforeEach(() => world.knex('rate_limits').delete());

let lastIp = 0;
/** Every attempt from its own address, so only the per-account limits are in play. */
async function postFrom(path: string, fields: Record<string, string>, agent = world.agent()) {
  const ip = `203.0.113.${++lastIp % 250}`;
  const page = await agent.get(path).set('X-Forwarded-For', ip);
  return agent
    .post(path)
    .set('X-Forwarded-For', ip)
    .type('form')
    .send({ ...fields, _csrf: csrfFrom(page.text) });
}
const login = (email: string, password: string, agent = world.agent()) => postFrom('/account/login', { email, password }, agent);

const I = '\u0130'; // LATIN CAPITAL LETTER I WITH DOT ABOVE
const fullwidth = (s: string) => [...s].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');

/** Spellings of `irina@example.com`: the first seven the database matches, the rest our normal form merges. */
const irinaVariants = (local = 'irina') => [
  local,
  local[0].toUpperCase() + local.slice(1),
  local.toUpperCase(),
  local.replace(/^i/, I),
  local.replace(/ri/, `r${I}`),
  local.replace(/i/g, I),
  local.toUpperCase().replace(/I/g, I),
  fullwidth(local),
  fullwidth(local[0].toUpperCase()) + fullwidth(local.slice(1)),
];

describe('14.2: every spelling of one address shares one sign-in budget', () => {
  it('the 11th attempt is refused (429) with any spelling, even with the right password, after 10 spread over spellings of an address with several i', async () => {
    await account(world, 'irina@example.com');
    const variants = irinaVariants()
      .map((l) => `${l}@example.com`)
      .concat(['irina@EXAMPLE.com']);
    for (let i = 0; i < 10; i++) {
      const res = await login(variants[i % variants.length], `wrong ${i}`);
      expect(res.status, variants[i % variants.length]).toBe(200);
      expect(res.text).toContain('Invalid login attempt.');
    }
    for (const email of variants) expect((await login(email, PASSWORD)).status, email).toBe(429);
  });

  it('the Kelvin sign K (U+212A) and a fullwidth k spend the budget of kate@example.com', async () => {
    await account(world, 'kate@example.com');
    const variants = [
      '\u212Aate@example.com',
      '\u212AATE@example.com',
      `${fullwidth('k')}ate@example.com`,
      'Kate@example.com',
      'kate@example.com',
    ];
    for (let i = 0; i < 10; i++) expect((await login(variants[i % variants.length], `wrong ${i}`)).status).toBe(200);
    for (const email of variants) expect((await login(email, PASSWORD)).status, email).toBe(429);
  });

  it('NFD and NFC spellings of an accented address share one budget, and NFD signs in to the NFC account', async () => {
    await account(world, 'jos\u00e9@example.com');
    expect((await login('jose\u0301@example.com', PASSWORD)).status).toBe(303);
    await world.knex('rate_limits').delete();
    for (let i = 0; i < 10; i++) await login(i % 2 ? 'jose\u0301@example.com' : 'JOS\u00c9@example.com', `wrong ${i}`);
    expect((await login('jos\u00e9@example.com', PASSWORD)).status).toBe(429);
  });

  it('an address with no account shares one budget across the same spellings (no oracle)', async () => {
    const variants = irinaVariants('iris.nobody').map((l) => `${l}@example.com`);
    for (let i = 0; i < 10; i++) expect((await login(variants[i % variants.length], `wrong ${i}`)).status).toBe(200);
    for (const email of variants) expect((await login(email, PASSWORD)).status, email).toBe(429);
  });

  it('a browser that signed in before keeps its own budget, whichever spelling its owner types', async () => {
    await account(world, 'irene@example.com');
    const owner = world.agent();
    expect((await login('irene@example.com', PASSWORD, owner)).status).toBe(303);
    await owner.get('/manage');
    const variants = irinaVariants('irene').map((l) => `${l}@example.com`);
    for (let i = 0; i < 11; i++) await login(variants[i % variants.length], `wrong ${i}`);
    expect((await login('irene@example.com', PASSWORD)).status).toBe(429);
    expect((await login(`${I}rene@example.com`, PASSWORD, owner)).status).toBe(303);
  });
});

describe('14.2: every spelling of one address shares one mail budget', () => {
  const mailsTo = (userId: string, purpose: string) => world.knex('outbox').where({ user_id: userId, purpose });

  it('forgot-password mails one account at most 3 times an hour, across all its spellings', async () => {
    const user = await account(world, 'irma@example.com');
    for (const local of irinaVariants('irma')) {
      const res = await postFrom('/account/forgot-password', { email: `${local}@example.com` });
      expect(res.status).toBe(200);
    }
    expect(await mailsTo(user.id, 'ResetPassword')).toHaveLength(3);
  });

  it('registering an existing address again mails its owner at most 3 times an hour, across all its spellings', async () => {
    const user = await account(world, 'iria@example.com', { confirmed: true });
    for (const local of irinaVariants('iria').slice(0, 7)) {
      const res = await postFrom('/account/register', {
        email: `${local}@example.com`,
        password: 'another passphrase 14',
        confirmPassword: 'another passphrase 14',
      });
      expect(res.status).toBe(200);
    }
    expect(await mailsTo(user.id, 'AlreadyRegistered')).toHaveLength(3);
  });
});
