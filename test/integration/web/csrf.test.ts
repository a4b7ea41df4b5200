import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCsrf, PASSWORD, registerConfirmed, setup, signedInAgent, type World } from '../../helpers/setup.js';

let world: World;
beforeAll(async () => {
  world = await setup();
  await registerConfirmed(world, 'victim@example.com');
  await registerConfirmed(world, 'attacker@example.com');
});
afterAll(() => world.close());

const users = async () => Number((await world.knex('users').count('* as n'))[0].n);
const login = { email: 'victim@example.com', password: PASSWORD };

describe('CSRF protection', () => {
  it('refuses a form without a token with the "form expired" page and changes nothing', async () => {
    const before = await users();
    const res = await world
      .agent()
      .post('/account/register')
      .type('form')
      .send({ email: 'new@example.com', password: PASSWORD, confirmPassword: PASSWORD });
    expect(res.status).toBe(403);
    expect(res.text).toContain('This form has expired');
    expect(await users()).toBe(before);
  });

  it('refuses a wrong token, an empty one, and one sent in the query string', async () => {
    const agent = world.agent();
    const token = await getCsrf(agent, '/account/login');
    expect(
      (
        await agent
          .post('/account/login')
          .type('form')
          .send({ ...login, _csrf: `${token.slice(0, -2)}00` })
      ).status,
    ).toBe(403);
    expect(
      (
        await agent
          .post('/account/login')
          .type('form')
          .send({ ...login, _csrf: '' })
      ).status,
    ).toBe(403);
    expect((await agent.post(`/account/login?_csrf=${token}`).type('form').send(login)).status).toBe(403);
    expect(
      (await agent.post('/account/login').type('form').send(`_csrf=${token}&_csrf=${token}&email=victim@example.com&password=x`)).status,
    ).toBe(403);
  });

  it('refuses a token from another session (login CSRF)', async () => {
    const attacker = world.agent();
    const token = await getCsrf(attacker, '/account/login');
    const victim = world.agent();
    await victim.get('/');
    const res = await victim.post('/account/login').type('form').send({ email: 'attacker@example.com', password: PASSWORD, _csrf: token });
    expect(res.status).toBe(403);
    expect((await victim.get('/manage')).status).toBe(302);
  });

  it('rotates the token at sign-in: the token from before is refused after', async () => {
    const agent = world.agent();
    const before = await getCsrf(agent, '/account/login');
    const res = await agent
      .post('/account/login')
      .type('form')
      .send({ ...login, _csrf: before });
    expect(res.status).toBe(303);
    const logOff = await agent.post('/account/log-off').type('form').send({ _csrf: before });
    expect(logOff.status).toBe(403);
    expect((await agent.get('/manage')).status).toBe(200);
  });

  it('refuses a valid token on a request a browser marks as cross-site', async () => {
    const agent = await signedInAgent(world, 'victim@example.com');
    const token = await getCsrf(agent, '/manage');
    const fromEvil = await agent.post('/account/log-off').set('Origin', 'https://evil.example').type('form').send({ _csrf: token });
    expect(fromEvil.status).toBe(403);
    const crossSite = await agent.post('/account/log-off').set('Sec-Fetch-Site', 'cross-site').type('form').send({ _csrf: token });
    expect(crossSite.status).toBe(403);
    expect((await agent.get('/manage')).status).toBe(200);
    const sameOrigin = await agent.post('/account/log-off').set('Origin', 'http://gatehouse.test').type('form').send({ _csrf: token });
    expect(sameOrigin.status).toBe(303);
  });

  it('has no state change over GET', async () => {
    const agent = await signedInAgent(world, 'victim@example.com');
    expect((await agent.get('/account/log-off')).status).toBe(404);
    expect((await agent.get('/manage')).status).toBe(200);
  });
});
