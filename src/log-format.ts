import { ConfigError, loadConfig, type Config, type Env } from './config.js';

/**
 * `json`: one JSON object per line, what tests, log shippers and production parse.
 * `pretty`: one coloured line per entry for a person watching a terminal.
 */
export type LogFormat = 'json' | 'pretty';

/** What is wrong with a LOG_FORMAT value, in the words of a configuration error (none if fine). */
export function logFormatProblems(setting: string | undefined): string[] {
  const value = setting?.trim() ?? '';
  if (value === '' || value === 'json' || value === 'pretty') return [];
  return [`LOG_FORMAT: must be json or pretty, or empty for pretty on a terminal and json otherwise (got ${JSON.stringify(value)})`];
}

/**
 * Pretty only when a person is reading: a pipe, a file or a process manager gets JSON lines
 * unless LOG_FORMAT says otherwise. A value `logFormatProblems` refuses reads as unset.
 */
export function chooseLogFormat(setting: string | undefined, isTty: boolean): LogFormat {
  const value = setting?.trim();
  if (value === 'json' || value === 'pretty') return value;
  return isTty ? 'pretty' : 'json';
}

/**
 * The configuration and the log format for a process whose log goes to a terminal or not
 * (`isTty`), with a bad LOG_FORMAT reported together with every other bad variable.
 */
export function loadConfigAndLogFormat(env: Env, isTty: boolean): { config: Config; logFormat: LogFormat } {
  const problems = logFormatProblems(env.LOG_FORMAT);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    throw err instanceof ConfigError ? new ConfigError([...err.problems, ...problems]) : err;
  }
  if (problems.length) throw new ConfigError(problems);
  return { config, logFormat: chooseLogFormat(env.LOG_FORMAT, isTty) };
}
