import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** What a logger made by createLogger writes to stdout, from a child process of its own. */
function written(format: 'json' | 'pretty', body: string): string {
  const script = `import { createLogger } from './src/logger.ts';\nimport { withSafeErrors } from './src/error-log-serializer.ts';\nconst log = withSafeErrors(createLogger({ level: 'info', format: '${format}' }));\n${body}`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.stderr).toBe('');
  return run.stdout;
}

const startLine = `log.info({ port: 3000, address: '127.0.0.1', url: 'http://localhost:3000', database: 'pglite', databaseAt: 'embedded PGlite at ./.data', demoMode: true }, 'Gatehouse listening on http://localhost:3000 (embedded PGlite at ./.data, demo mode)');`;
const requestLine = `log.info({ req: { method: 'GET', url: '/a\\x1b[2Jb' }, res: { statusCode: 404 }, responseTime: 3 }, 'request completed');`;
const errorLine = `log.error({ err: Object.assign(new Error('duplicate key "s3cret@example.com"'), { code: '23505', routine: 'x' }) }, 'request failed');`;

describe('createLogger', () => {
  it('pretty: one line per entry, the start line without restated fields, control characters escaped, errors still serialized', () => {
    const out = written('pretty', [startLine, requestLine, errorLine].join('\n'));
    const lines = out.split('\n');
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Gatehouse listening on http:\/\/localhost:3000 \(embedded PGlite at \.\/\.data, demo mode\)$/,
    );
    expect(lines[1]).toMatch(/INFO: GET \/a\\u001b\[2Jb 404 3 ms$/);
    expect(out).not.toContain('\x1b[2J');
    expect(lines[2]).toMatch(/ERROR: request failed ?$/);
    expect(out).toContain('"code": "23505"');
    expect(out).not.toContain('s3cret');
    expect(out).not.toContain('{"level"');
  });

  it('json: one JSON object per line with every field', () => {
    const entries = written('json', [startLine, requestLine, errorLine].join('\n'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries[0]).toMatchObject({
      level: 30,
      port: 3000,
      url: 'http://localhost:3000',
      databaseAt: 'embedded PGlite at ./.data',
      demoMode: true,
    });
    expect(entries[1]).toMatchObject({ req: { method: 'GET', url: '/a\x1b[2Jb' }, res: { statusCode: 404 } });
    expect(JSON.stringify(entries[2])).not.toContain('s3cret');
  });
});
