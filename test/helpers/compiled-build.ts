import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** What `npm start` runs. */
const compiledMain = path.join(root, 'dist/src/main.js');

/** The sources `npm run build` compiles; a change to any of them makes dist/ stale. */
const buildInputs = ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestModification(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(entry).map((name) => newestModification(path.join(entry, name))));
}

/**
 * Makes sure dist/ holds a build of the current sources. `npm ci` and `npm install` build it
 * (the prepare script), so in CI this only checks; after an edit to src/ it runs
 * `npm run build` once, so the `npm start` tests never exercise yesterday's code.
 */
export function ensureCompiledBuild(): void {
  const builtAt = fs.existsSync(compiledMain) ? fs.statSync(compiledMain).mtimeMs : 0;
  const sourcesAt = Math.max(...buildInputs.map((entry) => newestModification(path.join(root, entry))));
  if (builtAt > sourcesAt) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: 170_000 });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}
