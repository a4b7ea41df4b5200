import type { Logger } from 'pino';

/**
 * What of an error reaches the log: what failed and where, never the values involved.
 *
 * A database error carries the values of the statement that failed: Postgres puts the whole
 * row in `detail` ("Failing row contains (…)") and quotes the bad value in some messages
 * ('invalid input syntax for type uuid: "…"'), PGlite attaches `params` and `query`, knex
 * inlined the bindings into its message (turned off with `compileSqlOnError: false` in
 * src/db/database.ts). A failed insert of an outbox row or a session would put a code, a
 * reset link or a session id in the log. So only the fields below are kept, and in a
 * database error's message and stack every quoted value that is not the name of the
 * constraint, table, column, schema or type is replaced.
 */
const KEPT_FIELDS = [
  'code',
  'errno',
  'syscall',
  'address',
  'port',
  'status',
  'statusCode',
  'reason',
  'severity',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
] as const;

/** How deep a chain of `cause`s is followed. */
const MAX_CAUSES = 3;

type ErrorLike = Error & Record<string, unknown>;

/** A Postgres error (pg or PGlite): an SQLSTATE code and the server's routine or severity. */
const isDatabaseError = (err: ErrorLike) =>
  typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) && (err.routine !== undefined || err.severity !== undefined);

/** Lower-case SQL identifiers as knex and Postgres quote them ("outbox", "users_email_unique"). */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function withoutValues(text: string, err: ErrorLike): string {
  const names = new Set(['schema', 'table', 'column', 'dataType', 'constraint'].map((k) => err[k]).filter((v) => typeof v === 'string'));
  return text
    .replace(/"((?:[^"]|"")*)"/g, (quoted, inner: string) => (names.has(inner) || IDENTIFIER.test(inner) ? quoted : '"[redacted]"'))
    .replace(/'((?:[^']|'')*)'/g, "'[redacted]'")
    .replace(/\b0x[0-9a-f]{2,}\b/gi, '0x[redacted]');
}

/**
 * pino's `err` serializer. Also takes an error pino-http already turned into a plain object
 * (its wrapper serializes first), which carries the same fields.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const e = err as ErrorLike;
  const database = isDatabaseError(e);
  const scrub = (text: unknown) => (typeof text !== 'string' ? undefined : database ? withoutValues(text, e) : text);
  const type = err instanceof Error ? e.constructor?.name : e.type;
  const out: Record<string, unknown> = { type: type ?? 'Error', message: scrub(e.message), stack: scrub(e.stack) };
  for (const field of KEPT_FIELDS) {
    if (e[field] !== undefined && e[field] !== null && typeof e[field] !== 'object') out[field] = e[field];
  }
  if (e.cause !== undefined && depth < MAX_CAUSES) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/** The same logger, with `err` written by `serializeError` (children inherit it). */
export function withSafeErrors(logger: Logger): Logger {
  return logger.child({}, { serializers: { err: serializeError } });
}
