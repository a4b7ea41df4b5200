import type { Config } from './config.js';

/**
 * Which database a process is about to use, as a person recognises it: the embedded folder as
 * configured, or the server's host and database name. Never the user name, the password or the
 * query string of DATABASE_URL, so it is safe for the start line, the log and the terminal.
 */
export function databaseLabel(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (!config.databaseUrl) return `embedded PGlite at ${config.dataDir}`;
  try {
    const url = new URL(config.databaseUrl);
    const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return `Postgres server ${url.host || 'localhost'}${name ? `/${name}` : ''}`;
  } catch {
    // Not a URL pg would read either; say which kind without repeating what was written.
    return 'Postgres server';
  }
}
