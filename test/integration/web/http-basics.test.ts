import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCsrf, setup, type World } from '../../helpers/setup.js';

let world: World;
beforeAll(async () => {
  world = await setup();
});
afterAll(() => world.close());

describe('HTTP basics', () => {
  it('sends security headers on every page', async () => {
    const res = await world.agent().get('/');
    const csp = res.headers['content-security-policy'];
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'self'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000; includeSubDomains/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('same-origin');
    const confirm = await world.agent().get('/account/confirm-email?userId=x&code=y');
    expect(confirm.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('serves Bootstrap from the app itself', async () => {
    const res = await world.agent().get('/css/bootstrap.min.css');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/css/);
    const page = await world.agent().get('/');
    expect(page.text).not.toMatch(/(src|href)="https?:\/\//);
  });

  it('answers an oversized body with 413 and a page', async () => {
    const agent = world.agent();
    const _csrf = await getCsrf(agent, '/account/register');
    const res = await agent
      .post('/account/register')
      .type('form')
      .send({ _csrf, email: 'a@example.com', password: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
    expect(res.text).toContain('too large');
    expect(await world.knex('users').count('* as n')).toEqual([{ n: 0 }]);
  });

  it('answers malformed JSON with a 400 page, not a crash', async () => {
    const res = await world.agent().post('/account/login').set('Content-Type', 'application/json').send('{"email":');
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('has a 404 page in the layout', async () => {
    const res = await world.agent().get('/no/such/page');
    expect(res.status).toBe(404);
    expect(res.text).toContain('Page not found');
    expect(res.text).toContain('navbar');
  });

  it('reports health from the database', async () => {
    const res = await world.agent().get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('renders labelled inputs on every form', async () => {
    for (const path of ['/account/register', '/account/login']) {
      const html = (await world.agent().get(path)).text;
      const inputs = [...html.matchAll(/<input id="([^"]+)"/g)].map((m) => m[1]);
      expect(inputs.length).toBeGreaterThan(0);
      for (const id of inputs) expect(html, `${path} #${id}`).toContain(`for="${id}"`);
    }
  });
});
