import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_PATH, hasChromium } from './browser.js';
import { createPGliteSnapshot, createTemplateDatabase, dropDatabase, serverUrl } from './test-databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
    pgliteSnapshot: string;
  }
}

/** Migrates once per run; every test file then starts from a copy of that database. */
export default async function setup(project: TestProject) {
  if (!hasChromium()) {
    if (process.env.REQUIRE_BROWSER === '1') {
      throw new Error(`REQUIRE_BROWSER=1 but Chromium is not at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
    }
    console.log(
      `[gatehouse] SKIPPING the browser tests (test/e2e): Chromium not found at ${CHROMIUM_PATH}. Install it with: apt-get install -y chromium`,
    );
  }
  const url = serverUrl();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
  const snapshot = path.join(dir, 'migrated.tar.gz');
  let template = '';
  if (url) {
    template = await createTemplateDatabase(url);
    console.log(`[gatehouse] database: Postgres server (${new URL(url).host}), template ${template}`);
  } else {
    await createPGliteSnapshot(snapshot);
    console.log('[gatehouse] database: PGlite (embedded); set DATABASE_URL to test against a server');
  }
  project.provide('pgTemplate', template);
  project.provide('pgliteSnapshot', snapshot);
  return async () => {
    if (url && template) await dropDatabase(url, template);
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
