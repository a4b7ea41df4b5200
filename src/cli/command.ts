import os from 'node:os';
import type { Services } from '../composition.js';
import type { Config } from '../config.js';
import type { AuditContext } from '../db/stores/audit-log.js';
import { normaliseEmail } from '../identity/email-address.js';
import { checkPassword } from '../identity/password-policy.js';
import type { User } from '../db/stores/user-store.js';
import { CliError } from './cli-error.js';
import type { CliIo } from './io.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** The placeholder shown in help, e.g. `E` in `--email E`. */
  value?: string;
  description: string;
  /** Still accepted, for old scripts, but left out of the help so nobody is taught it. */
  hidden?: boolean;
}

export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface CommandInput {
  values: OptionValues;
  config: Config;
  io: CliIo;
}

/** What a command does once the database is open. */
export type Action = (services: Services) => Promise<void>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** Changes data: refused against a production database without --yes. */
  mutates: boolean;
  /**
   * Checks the options and reads any password before a database is opened, so a typo fails
   * fast and never leaves a fresh, empty data folder behind.
   */
  prepare(input: CommandInput): Promise<Action>;
}

export function requiredString(values: OptionValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new CliError(`missing option --${name}`);
  return value;
}

export function emailOption(values: OptionValues): string {
  const raw = requiredString(values, 'email');
  const email = normaliseEmail(raw);
  if (!email) throw new CliError(`--email: not a valid email address: ${JSON.stringify(raw)}`);
  return email;
}

export function roleName(raw: string): string {
  const name = raw.trim();
  if (name === '' || name.length > 256 || /\p{Cc}/u.test(name)) {
    throw new CliError(`--role: not a valid role name: ${JSON.stringify(raw)}`);
  }
  return name;
}

/** The same policy as registration, so the CLI cannot create a weaker account than the form. */
export function checkPolicy(password: string, config: Config): void {
  const problems = checkPassword(password, config.password);
  if (problems.length) throw new CliError(`password rejected: ${problems.join(' ')}`);
}

export async function requireUser(services: Services, email: string): Promise<User> {
  const user = await services.users.findByEmail(email);
  if (!user) throw new CliError(`no user with email ${email}`);
  return user;
}

/** Audit rows written by the CLI say so, and name the operating-system account that ran it. */
export function cliAuditContext(): AuditContext {
  let who = 'unknown';
  try {
    who = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the audit row still says it came from the CLI.
  }
  return { ip: null, userAgent: `gatehouse-admin-cli (${who}@${os.hostname()})` };
}

export const yesNo = (value: boolean) => (value ? 'yes' : 'no');
