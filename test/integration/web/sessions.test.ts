import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock, registerConfirmed, setup, signedInAgent, type World } from '../../helpers/setup.js';

const clock = createTestClock();
let world: World;
beforeAll(async () => {
  world = await setup({ env: { SESSION_IDLE_MINUTES: '30', SESSION_ABSOLUTE_HOURS: '12' }, overrides: { clock } });
  await registerConfirmed(world, 'lin@example.com');
});
afterAll(() => world.close());

describe('sessions', () => {
  it('end on their next request when the security stamp changes', async () => {
    const a = await signedInAgent(world, 'lin@example.com');
    const b = await signedInAgent(world, 'lin@example.com');
    const user = await world.services.users.findByEmail('lin@example.com');
    await world.services.users.updateSecurityStamp(user!.id);
    for (const browser of [a, b]) {
      const res = await browser.get('/manage');
      expect(res.status).toBe(302);
      expect(res.headers.location).toMatch(/^\/account\/login/);
    }
  });

  it('end after the idle timeout', async () => {
    const agent = await signedInAgent(world, 'lin@example.com');
    clock.advance(29 * 60_000);
    expect((await agent.get('/manage')).status).toBe(200);
    clock.advance(31 * 60_000);
    expect((await agent.get('/manage')).status).toBe(302);
  });

  it('end after the absolute lifetime even with activity', async () => {
    const agent = await signedInAgent(world, 'lin@example.com');
    for (let step = 0; step < 35; step++) {
      clock.advance(20 * 60_000);
      expect((await agent.get('/manage')).status, `after ${(step + 1) * 20} minutes`).toBe(200);
    }
    clock.advance(21 * 60_000);
    expect((await agent.get('/manage')).status).toBe(302);
  });

  it('are deleted on sign-off, so a replayed cookie is worthless', async () => {
    const agent = await signedInAgent(world, 'lin@example.com');
    const cookie = (await agent.get('/manage')).request.cookies;
    const manage = await agent.get('/manage');
    const token = /name="_csrf" value="([^"]+)"/.exec(manage.text)![1];
    await agent.post('/account/log-off').type('form').send({ _csrf: token });
    const replay = await world.agent().get('/manage').set('Cookie', cookie);
    expect(replay.status).toBe(302);
  });

  it('treat a tampered cookie as a new visitor, not an error', async () => {
    const res = await world.agent().get('/manage').set('Cookie', 'gatehouse.sid=s%3Aforged.signature');
    expect(res.status).toBe(302);
    const home = await world.agent().get('/').set('Cookie', 'gatehouse.sid=%%%garbage');
    expect(home.status).toBe(200);
  });

  it('are never cached', async () => {
    const agent = await signedInAgent(world, 'lin@example.com');
    const res = await agent.get('/manage');
    expect(res.headers['cache-control']).toBe('no-store');
  });
});
