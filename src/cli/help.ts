import type { Command, OptionSpec } from './command.js';

const USAGE = 'npm run admin --';

export function generalHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 'help'.length) + 2;
  const lines = [
    'Gatehouse administration, on the database the app uses: DATABASE_URL, or else the embedded one in',
    'DATA_DIR (default ./.data). The embedded database can be open in one process at a time: stop the',
    'app while you run a command, or run both on a Postgres server.',
    '',
    `Usage: ${USAGE} <command> [options]`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'help'.padEnd(width)}Show this list, or \`help <command>\` for a command's options`,
    '',
    'Passwords are read from stdin (--password-stdin, one line) or, for seed, from ADMIN_PASSWORD;',
    'never put one on the command line, where `ps` shows it to every local user.',
    'With DATABASE_URL and NODE_ENV=production (or NODE_ENV unset), changes need --yes.',
    'seed grants Admin only to the admin@example.com it created itself; one that already existed needs',
    '--grant-existing, and a confirmed email.',
    '',
    'Examples:',
    `  ADMIN_PASSWORD='a long admin passphrase' ${USAGE} seed`,
    `  printf '%s\\n' "$PASSWORD" | ${USAGE} create-user --email ann@example.com --password-stdin --confirmed`,
    `  ${USAGE} unlock --email ann@example.com`,
  ];
  return `${lines.join('\n')}\n`;
}

export function commandHelp(command: Command, common: Record<string, OptionSpec>): string {
  const shown = Object.entries({ ...command.options, ...common }).filter(([, o]) => !o.hidden);
  const entries = shown.map(([name, o]) => {
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
