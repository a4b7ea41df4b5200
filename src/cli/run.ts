import { parseArgs } from 'node:util';
import type { Services } from '../composition.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
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

async function openServices(config: Config): Promise<Services> {
  // Loaded only now, so `help` and bad options answer at once without loading the database.
  const [{ createServices }, { default: pino }] = await Promise.all([import('../composition.js'), import('pino')]);
  // The command reports its own outcome; the log adds only errors, unless more detail was
  // asked for (LOG_LEVEL=debug). It goes to stderr, so stdout can be piped.
  const level = config.logLevel === 'info' || config.logLevel === 'warn' ? 'error' : config.logLevel;
  const logger = pino({ level }, pino.destination({ dest: 2, sync: true }));
  try {
    return await createServices(config, { logger });
  } catch (err) {
    if (err instanceof DataDirLockedError) throw err;
    throw new CliError(`cannot open the database: ${(err as Error).message}`);
  }
}

async function runCommand(command: Command, args: string[], io: CliIo): Promise<void> {
  const values = parseOptions(command, args);
  if (values.help) {
    io.stdout(commandHelp(command, common));
    return;
  }
  const config = loadConfig(io.env);
  guardProduction(command, config, values.yes === true, (io.env.NODE_ENV ?? '').trim() !== '');
  const action = await command.prepare({ values, config, io });
  const services = await openServices(config);
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
  const known = err instanceof CliError || err instanceof DataDirLockedError;
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
