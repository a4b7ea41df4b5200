import { afterAll, describe, it } from 'vitest';
import { crashDuringBurst } from './crash-during-burst.js';
import { postgresTarget, type CrashTarget } from './crash-targets.js';

// A fresh database on the run's Postgres server, or on a PGlite-only run a private cluster.
let target: CrashTarget | undefined;
afterAll(() => target?.dispose());

describe('kill -9 of the app on Postgres', () => {
  it('during a burst of registrations and sign-ins: after a restart every account is whole and every acknowledged change is there', async () => {
    target = await postgresTarget();
    await crashDuringBurst(target);
  }, 180_000);
});
