import type { Command, OptionSpec } from './command.js';

const USAGE = 'npm run admin --';

export function generalHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 'help'.length) + 2;
  const lines = [
    'Gatehouse administration, on the database the app uses (DATA_DIR or DATABASE_URL).',
    '',
    `Usage: ${USAGE} <command> [options]`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'help'.padEnd(width)}Show this list, or \`help <command>\` for a command's options`,
    '',
    'Passwords are read from stdin (--password-stdin) or ADMIN_PASSWORD (seed); --password works',
    'but shows in `ps`. With DATABASE_URL and NODE_ENV=production (or NODE_ENV unset), changes need --yes.',
    'seed grants Admin only to the admin@example.com it created itself; one that already existed needs',
    '--grant-existing, and a confirmed email.',
  ];
  return `${lines.join('\n')}\n`;
}

export function commandHelp(command: Command, common: Record<string, OptionSpec>): string {
  const entries = Object.entries({ ...command.options, ...common }).map(([name, o]) => {
    const flag = name === 'help' ? '-h, --help' : `--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length)) + 2;
  const lines = [
    `Usage: ${USAGE} ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...entries.map(([flag, description]) => `  ${flag.padEnd(width)}${description}`),
  ];
  return `${lines.join('\n')}\n`;
}
