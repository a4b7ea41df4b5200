import type { CliIo } from './io.js';
import { CliError } from './cli-error.js';

export interface PasswordOptions {
  /** `--password P`: visible to every local user in `ps`, so it earns a warning. */
  argv?: string;
  /** `--password-stdin`: read one line from a pipe. */
  stdin: boolean;
  /** An environment variable to fall back on, such as ADMIN_PASSWORD for the seed. */
  env?: { name: string; value: string | undefined };
}

// Far above any allowed password; stops `cat bigfile |` from filling memory.
const MAX_STDIN_BYTES = 64 * 1024;

async function readOneLine(io: CliIo): Promise<string> {
  if (io.stdin.isTTY) {
    throw new CliError('--password-stdin needs piped input, e.g. `printf %s "$PW" | npm run admin -- …`');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) throw new CliError('the password on stdin is too long');
    chunks.push(buffer);
  }
  // Only the line ending `echo` adds is removed: spaces are part of the password.
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (/[\r\n]/.test(text)) throw new CliError('the password on stdin must be a single line');
  return text;
}

/** The password from the first source given (stdin, argv, then environment), or undefined. */
export async function readPassword(options: PasswordOptions, io: CliIo): Promise<string | undefined> {
  if (options.stdin && options.argv !== undefined) {
    throw new CliError('use either --password or --password-stdin, not both');
  }
  if (options.stdin) return readOneLine(io);
  if (options.argv !== undefined) {
    io.stderr(
      'warning: a password given with --password is visible to other users in `ps` and may stay in ' +
        'your shell history; prefer --password-stdin' +
        (options.env ? ` or ${options.env.name}` : '') +
        '.\n',
    );
    return options.argv;
  }
  const fromEnv = options.env?.value;
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}
