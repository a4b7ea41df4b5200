import type { Services } from '../../composition.js';
import { CliError } from '../cli-error.js';
import { checkPolicy, cliAuditContext, emailOption, requiredString, requireUser, roleName, yesNo, type Command } from '../command.js';
import { readPassword } from '../password-input.js';
import { formatTable } from '../table.js';
import { describeErrors } from '../../identity/identity-result.js';

const emailOpt = { type: 'string', value: 'E', description: 'the account’s email address' } as const;

export const createUser: Command = {
  name: 'create-user',
  summary: 'Create a user, with roles and a confirmed email if asked',
  usage: 'create-user --email E [--password-stdin] [--role R ...] [--confirmed]',
  options: {
    email: emailOpt,
    'password-stdin': { type: 'boolean', description: 'read the password from stdin (one line)' },
    // Visible in `ps` to every local user: accepted with a warning (K88), never shown in the help.
    password: { type: 'string', value: 'P', description: 'the password (visible in `ps`)', hidden: true },
    role: { type: 'string', multiple: true, value: 'R', description: 'a role to add (repeat for several)' },
    confirmed: { type: 'boolean', description: 'mark the email address as confirmed' },
  },
  mutates: true,
  async prepare({ values, config, io }) {
    const email = emailOption(values);
    const roles = ((values.role as string[] | undefined) ?? []).map(roleName);
    const password = await readPassword({ argv: values.password as string | undefined, stdin: values['password-stdin'] === true }, io);
    if (password !== undefined) checkPolicy(password, config);
    const emailConfirmed = values.confirmed === true;

    return async ({ users }) => {
      const result = await users.createUser({ email, password, emailConfirmed, roles, context: cliAuditContext() });
      if (!result.succeeded) throw new CliError(describeErrors(result.errors));
      const notes = [
        roles.length ? `roles: ${roles.join(', ')}` : 'no roles',
        emailConfirmed ? 'email confirmed' : 'email not confirmed',
        ...(password === undefined ? ['no password: the user must reset one or sign in with Google'] : []),
      ];
      io.stdout(`Created ${result.value.email} (${notes.join('; ')}).\n`);
    };
  },
};

const PAGE = 200;

async function listAll(services: Services, progress: (done: number, total: number) => void) {
  const { users } = services;
  const total = await users.countUsers();
  const rows: string[][] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await users.listUsers({ limit: PAGE, offset });
    for (const user of page) {
      const roles = await users.getRoles(user.id);
      rows.push([
        user.email,
        yesNo(user.emailConfirmed),
        yesNo(user.twoFactorEnabled),
        yesNo(users.isLockedOut(user)),
        roles.join(', ') || '-',
      ]);
    }
    progress(rows.length, Math.max(total, rows.length));
    if (page.length < PAGE) return rows;
  }
}

export const listUsers: Command = {
  name: 'list-users',
  summary: 'List users: email, confirmed, 2FA, locked, roles',
  usage: 'list-users',
  options: {},
  mutates: false,
  async prepare({ io }) {
    return async (services) => {
      const rows = await listAll(services, (done, total) => {
        if (io.stderrIsTty) io.stderr(`\r${done}/${total}`);
      });
      if (io.stderrIsTty) io.stderr('\r\x1b[K');
      if (rows.length) io.stdout(formatTable(['EMAIL', 'CONFIRMED', '2FA', 'LOCKED', 'ROLES'], rows));
      io.stdout(`${rows.length} ${rows.length === 1 ? 'user' : 'users'}\n`);
    };
  },
};

export const addRole: Command = {
  name: 'add-role',
  summary: 'Add a user to a role (the role is created if needed)',
  usage: 'add-role --email E --role R',
  options: {
    email: emailOpt,
    role: { type: 'string', value: 'R', description: 'the role, e.g. Admin' },
  },
  mutates: true,
  async prepare({ values, io }) {
    const email = emailOption(values);
    const role = roleName(requiredString(values, 'role'));

    return async (services) => {
      const user = await requireUser(services, email);
      const roles = await services.users.getRoles(user.id);
      const existing = roles.find((r) => r.toLowerCase() === role.toLowerCase());
      if (existing) {
        io.stdout(`${user.email} already has role ${existing}.\n`);
        return;
      }
      await services.users.addToRole(user.id, role, cliAuditContext());
      io.stdout(`Added role ${role} to ${user.email}.\n`);
    };
  },
};

export const unlock: Command = {
  name: 'unlock',
  summary: 'End a user’s lockout and clear the failure count (audit-logged)',
  usage: 'unlock --email E',
  options: { email: emailOpt },
  mutates: true,
  async prepare({ values, io }) {
    const email = emailOption(values);
    return async (services) => {
      const user = await requireUser(services, email);
      await services.users.unlock(user.id, cliAuditContext());
      io.stdout(`Unlocked ${user.email} (lockout ended, failure count cleared).\n`);
    };
  },
};

export const endSessions: Command = {
  name: 'end-sessions',
  summary: 'Sign a user out everywhere by rotating the security stamp (audit-logged)',
  usage: 'end-sessions --email E',
  options: { email: emailOpt },
  mutates: true,
  async prepare({ values, io }) {
    const email = emailOption(values);
    return async (services) => {
      const user = await requireUser(services, email);
      // Every session and remembered browser is bound to the stamp: a new one ends them all,
      // and voids outstanding reset links and codes too.
      await services.users.updateSecurityStamp(user.id, cliAuditContext());
      io.stdout(`Ended every session of ${user.email} (security stamp rotated).\n`);
    };
  },
};
