import { afterAll, describe, it } from 'vitest';
import { serverUrl } from '../helpers/test-databases.js';
import { crashDuringBurst } from './crash-during-burst.js';
import { pgliteTarget, type CrashTarget } from './crash-targets.js';

// The embedded database in a folder (kill -9 leaves its lock file behind). It runs in the PGlite
// run only: the Postgres run tests the same crash on the server (kill-9-postgres.test.ts), and
// has no migrated PGlite snapshot to start the folder from.
let target: CrashTarget | undefined;
afterAll(() => target?.dispose());

describe.skipIf(Boolean(serverUrl()))('kill -9 of the app on PGlite', () => {
  it('during a burst of registrations and sign-ins: the restart takes over the stale lock, and every account is whole', async () => {
    target = await pgliteTarget();
    await crashDuringBurst(target);
  }, 180_000);
});
