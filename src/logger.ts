import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { LogFormat } from './log-format.js';

interface LogEntry {
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

// JSON escapes control characters; the readable form must too, or a request path carrying an
// escape sequence would write to the terminal of whoever watches the log.
const escapeControls = (text: string) => text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The message, and for a request line what a person reads: `GET /account/login 200 12 ms`. */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const { req, res, responseTime } = log as LogEntry;
  const message = typeof log[messageKey] === 'string' ? (log[messageKey] as string) : '';
  if (!req || !res) return escapeControls(message);
  const line = `${req.method} ${req.url} ${res.statusCode}${responseTime === undefined ? '' : ` ${responseTime} ms`}`;
  return escapeControls(message === 'request completed' ? line : `${line} ${message}`);
}

// The start line says these in words; its JSON form keeps them for whoever parses it.
const START_LINE_FIELDS = ['port', 'address', 'url', 'database', 'databaseAt', 'demoMode'];

/** The start line without the fields its message already says; any other line as it is. */
function withoutRestatedFields(line: string): string {
  if (!line.includes('"databaseAt"')) return line;
  const log = JSON.parse(line) as Record<string, unknown>;
  for (const field of START_LINE_FIELDS) delete log[field];
  return `${JSON.stringify(log)}\n`;
}

export interface LoggerOptions {
  level: string;
  format: LogFormat;
  /** 1 (stdout, the server) or 2 (stderr, the admin CLI, whose stdout is its output). */
  fd?: 1 | 2;
  /** Write JSON lines synchronously (the CLI); else buffered and flushed at exit (the server). */
  sync?: boolean;
}

/**
 * The one place a pino logger is made. The pretty form only re-formats the JSON line pino has
 * already written, so the serializers (redacted URLs, errors without values) apply to both.
 * It writes synchronously: it is for one person at a terminal, not for throughput.
 */
export function createLogger({ level, format, fd = 1, sync = false }: LoggerOptions): Logger {
  if (format === 'json') return pino({ level }, pino.destination({ dest: fd, sync }));
  // Loaded only for a terminal: a server writing JSON (production, tests) never pays for it.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  const prettyStream = pretty({
    destination: fd,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // Said by the request line instead (prettyMessage).
    ignore: 'pid,hostname,req,res,responseTime',
    singleLine: true,
    messageFormat: prettyMessage,
  });
  return pino({ level }, { write: (line: string) => prettyStream.write(withoutRestatedFields(line)) });
}
