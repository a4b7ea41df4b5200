import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createPGliteSnapshot, createTemplateDatabase, dropDatabase, serverUrl } from './test-databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
    pgliteSnapshot: string;
  }
}

/** Migrates once per run; every test file then starts from a copy of that database. */
export default async function setup(project: TestProject) {
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
