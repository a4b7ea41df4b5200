import type { Readable } from 'node:stream';
import type { Env } from '../config.js';

/**
 * Everything the CLI touches outside itself, passed in by `admin.ts`, so the commands never
 * read `process` directly.
 */
export interface CliIo {
  env: Env;
  stdin: Readable & { isTTY?: boolean };
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress is drawn only for a person watching a terminal, never into a pipe or log file. */
  stderrIsTty: boolean;
}
