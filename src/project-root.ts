import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project folder (the one with package.json, views/ and public/), found by walking up from
 * `moduleUrl`. Not a fixed '..': the same module runs from src/ under tsx (development and
 * tests) and from dist/src/ once compiled (`npm start`), one level deeper.
 */
export function findProjectRoot(moduleUrl: string): string {
  const start = path.dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json in ${start} or above it`);
  }
}
