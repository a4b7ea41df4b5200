import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Services } from '../composition.js';
import { ConfigError, type Config } from '../config.js';
import { databaseLabel } from '../database-label.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { loadConfigAndLogFormat, type LogFormat } from '../log-format.js';
import { CliError } from './cli-error.js';
import type { Command, OptionSpec } from './command.js';
import { addRole, createUser, endSessions, listUsers, unlock } from './commands/users.js';
import { seed } from './commands/seed.js';
import { commandHelp, generalHelp } from './help.js';
import type { CliIo } from './io.js';

export const commands: Command[] = [seed, createUser, listUsers, addRole, unlock, endSessions];

const common: Record<string, OptionSpec> = {
  yes: { type: 'boolean', description: 'confirm a change to a production database' },
  help: { type: 'boolean', description: 'show this help' },
};

function parseOptions(command: Command, args: string[]) {
  const options = { ...command.options, ...common };
  try {
    return parseArgs({
      args,
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, multiple: o.multiple === true }])),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    // Node's messages are clear but long ("…place it at the end of the command after '--'…").
    const first = (err as Error).message.split('. ')[0];
    throw new CliError(`${command.name}: ${first} (see: npm run admin -- ${command.name} --help)`);
  }
}

/**
 * Case K91: someone with production credentials in their shell changes nothing by accident.
 * Changes to a Postgres server while NODE_ENV=production need an explicit --yes, and so do
 * changes to a server while NODE_ENV is not set at all: nothing then says it is not production.
 */
function guardProduction(command: Command, config: Config, yes: boolean, nodeEnvSet: boolean): void {
  if (!command.mutates || yes || !config.databaseUrl) return;
  if (!config.production && nodeEnvSet) return;
  const url = new URL(config.databaseUrl);
  throw new CliError(
    config.production
      ? `${command.name} would change the production database ${url.host}${url.pathname}: add --yes to go ahead`
      : `${command.name} would change the database ${url.host}${url.pathname} and NODE_ENV is not set: add --yes to go ahead (or set NODE_ENV)`,
  );
}

/**
 * The lock error in the words an operator needs: the folder is the running app's, so stop the
 * app for the length of the command, or give both a Postgres server they can share.
 */
function lockedForCli(err: DataDirLockedError): CliError {
  return new CliError(
    `another Gatehouse (process ${err.pid}) is using ${err.dataDir}, and the embedded database can be open in ` +
      `one process at a time. Stop the app first (Ctrl+C where it runs, or kill ${err.pid}), run this command, ` +
      'then start the app again; to run admin commands while the app runs, use a Postgres server for both (DATABASE_URL).',
  );
}

/**
 * Without DATA_DIR the folder is relative to wherever the command was typed: say which database
 * is about to change, before it changes, so a change in the wrong folder is noticed.
 */
function warnDefaultDatabase(command: Command, config: Config, io: CliIo): void {
  if (!command.mutates || config.databaseUrl || io.env.DATA_DIR !== undefined) return;
  io.stderr(
    `warning: DATA_DIR is not set: ${command.name} changes the embedded database in ${config.dataDir} ` +
      `(${path.resolve(config.dataDir)}). Set DATA_DIR or DATABASE_URL to choose the database.\n`,
  );
}

async function openServices(config: Config, logFormat: LogFormat, io: CliIo): Promise<Services> {
  // Loaded only now, so `help` and bad options answer at once without loading the database.
  const [{ createServices }, { createLogger }] = await Promise.all([import('../composition.js'), import('../logger.js')]);
  // The command reports its own outcome; the log adds only errors, unless more detail was
  // asked for (LOG_LEVEL=debug). It goes to stderr, so stdout can be piped.
  const level = config.logLevel === 'info' || config.logLevel === 'warn' ? 'error' : config.logLevel;
  const logger = createLogger({ level, format: logFormat, fd: 2, sync: true });
  // A first start of the embedded database takes seconds (initdb, migrations): say what is happening.
  if (io.stderrIsTty) io.stderr(`opening the database (${databaseLabel(config)})…`);
  try {
    return await createServices(config, { logger });
  } catch (err) {
    if (err instanceof DataDirLockedError) throw lockedForCli(err);
    throw new CliError(`cannot open the database: ${(err as Error).message}`);
  } finally {
    if (io.stderrIsTty) io.stderr('\r\x1b[K');
  }
}

async function runCommand(command: Command, args: string[], io: CliIo): Promise<void> {
  const values = parseOptions(command, args);
  if (values.help) {
    io.stdout(commandHelp(command, common));
    return;
  }
  const { config, logFormat } = loadConfigAndLogFormat(io.env, io.stderrIsTty);
  guardProduction(command, config, values.yes === true, (io.env.NODE_ENV ?? '').trim() !== '');
  const action = await command.prepare({ values, config, io });
  warnDefaultDatabase(command, config, io);
  const services = await openServices(config, logFormat, io);
  try {
    await action(services);
  } finally {
    await services.close();
  }
}

function findCommand(name: string): Command {
  const command = commands.find((c) => c.name === name);
  if (!command) {
    throw new CliError(`unknown command ${JSON.stringify(name)} (commands: ${commands.map((c) => c.name).join(', ')})`);
  }
  return command;
}

function oneLine(err: unknown): string {
  if (err instanceof ConfigError) return `invalid configuration: ${err.problems.join('; ')}`;
  const message = err instanceof Error ? err.message : String(err);
  const known = err instanceof CliError;
  return (known ? message : `unexpected failure: ${message}`).replace(/\s*\n\s*/g, ' ');
}

/** Runs one admin command; resolves to the exit code. Never throws, never prints a stack. */
export async function runAdmin(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) throw new CliError('no command given (see: npm run admin -- help)');
    if (name === 'help' || name === '--help' || name === '-h') {
      io.stdout(rest[0] === undefined ? generalHelp(commands) : commandHelp(findCommand(rest[0]), common));
      return 0;
    }
    const command = findCommand(name);
    await runCommand(command, rest, io);
    return 0;
  } catch (err) {
    io.stderr(`error: ${oneLine(err)}\n`);
    return 1;
  }
}
