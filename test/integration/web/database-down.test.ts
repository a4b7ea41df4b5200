import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConfirmed, setup, signedInAgent, type World } from '../../helpers/setup.js';

let world: World;
beforeAll(async () => {
  world = await setup();
  await registerConfirmed(world, 'outage@example.com');
});
afterAll(() => world.close().catch(() => undefined));

describe('when the database is gone', () => {
  it('answers 503 pages and a 503 health check, without a stack trace', async () => {
    const agent = await signedInAgent(world, 'outage@example.com');
    await world.knex.destroy();
    const health = await world.agent().get('/health');
    expect(health.status).toBe(503);
    const page = await agent.get('/manage');
    expect(page.status).toBe(503);
    expect(page.text).toContain('cannot reach its database');
    expect(page.text).not.toMatch(/\.ts:\d+/);
    expect(page.headers['retry-after']).toBe('5');
  });
});
