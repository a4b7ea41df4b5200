import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { databaseLabel } from '../../src/database-label.js';
import { chooseLogFormat, loadConfigAndLogFormat, logFormatProblems } from '../../src/log-format.js';

describe('the log format', () => {
  it('is pretty on a terminal and JSON lines anywhere else, unless LOG_FORMAT says', () => {
    expect(chooseLogFormat(undefined, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, false)).toBe('json');
    expect(chooseLogFormat('', true)).toBe('pretty');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
    expect(chooseLogFormat(' json ', true)).toBe('json');
  });

  it('refuses any other LOG_FORMAT, together with every other bad variable', () => {
    expect(logFormatProblems(undefined)).toEqual([]);
    expect(logFormatProblems('pretty')).toEqual([]);
    expect(logFormatProblems('fancy')[0]).toMatch(/^LOG_FORMAT: must be json or pretty/);
    expect(() => loadConfigAndLogFormat({ LOG_FORMAT: 'fancy' }, true)).toThrow(ConfigError);
    try {
      loadConfigAndLogFormat({ LOG_FORMAT: 'JSON', PORT: 'eighty' }, false);
      expect.unreachable();
    } catch (err) {
      const problems = (err as ConfigError).problems;
      expect(problems.some((p) => p.startsWith('PORT'))).toBe(true);
      expect(problems.some((p) => p.startsWith('LOG_FORMAT'))).toBe(true);
    }
    expect(loadConfigAndLogFormat({}, false).logFormat).toBe('json');
    expect(loadConfigAndLogFormat({ LOG_FORMAT: 'pretty' }, false).logFormat).toBe('pretty');
  });
});

describe('the database label of the start line and the CLI', () => {
  it('names the embedded folder as configured', () => {
    expect(databaseLabel({ dataDir: './.data' })).toBe('embedded PGlite at ./.data');
  });

  it('names the server and database, never the user, password or options of DATABASE_URL', () => {
    const label = databaseLabel({
      dataDir: './.data',
      databaseUrl: 'postgres://ops:s3cret@db.internal:5432/gatehouse?sslmode=require&password=x',
    });
    expect(label).toBe('Postgres server db.internal:5432/gatehouse');
    expect(databaseLabel({ dataDir: '', databaseUrl: 'postgres://db.internal/app' })).toBe('Postgres server db.internal/app');
    expect(databaseLabel({ dataDir: '', databaseUrl: 'not a url with s3cret' })).toBe('Postgres server');
  });
});
