import { CliError } from '../cli-error.js';
import { checkPolicy, cliAuditContext, type Command, type OptionValues } from '../command.js';
import type { CliIo } from '../io.js';
import type { Services } from '../../composition.js';
import type { User } from '../../db/stores/user-store.js';
import { readPassword } from '../password-input.js';
import { describeErrors } from '../../identity/identity-result.js';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_ROLE = 'Admin';

/**
 * The seeded administrator of the sample, without its fixed default password (case K87): the
 * password comes from stdin, ADMIN_PASSWORD or (with a warning, and not in the help) argv, and
 * must pass the registration policy. Re-running is safe: it ensures the role and leaves the password and
 * 2FA alone unless --force is given.
 *
 * It grants Admin only to the account it created itself (its `AdminSeeded` audit event says
 * so). An admin@example.com that someone else registered, perhaps without owning the address,
 * gets nothing unless the operator says --grant-existing, and even then only once its email is
 * confirmed: otherwise whoever registered it first would be handed the Admin role (issue 14.10).
 */
export const seed: Command = {
  name: 'seed',
  summary: `Create ${ADMIN_EMAIL} with role ${ADMIN_ROLE} (safe to re-run)`,
  usage: 'seed [--password-stdin] [--force] [--grant-existing]',
  options: {
    'password-stdin': { type: 'boolean', description: 'read the password from stdin (one line); without it, from ADMIN_PASSWORD' },
    // Visible in `ps` to every local user: accepted with a warning (K88), never shown in the help.
    password: { type: 'string', value: 'P', description: 'the password (visible in `ps`)', hidden: true },
    force: { type: 'boolean', description: 'when the admin exists, set this password (ends its sessions)' },
    'grant-existing': {
      type: 'boolean',
      description: `give role ${ADMIN_ROLE} to an ${ADMIN_EMAIL} that seed did not create (only if its email is confirmed)`,
    },
  },
  mutates: true,
  async prepare({ values, config, io }) {
    const password = await readAdminPassword(values, io);
    checkPolicy(password, config);
    const plan: SeedPlan = { password, force: values.force === true, grantExisting: values['grant-existing'] === true, io };
    return async (services) => {
      const existing = await services.users.findByEmail(ADMIN_EMAIL);
      if (existing) await updateExistingAdmin(services, existing, plan);
      else await createAdmin(services, plan);
    };
  },
};

interface SeedPlan {
  password: string;
  force: boolean;
  grantExisting: boolean;
  io: CliIo;
}

async function readAdminPassword(values: OptionValues, io: CliIo): Promise<string> {
  const password = await readPassword(
    {
      argv: values.password as string | undefined,
      stdin: values['password-stdin'] === true,
      env: { name: 'ADMIN_PASSWORD', value: io.env.ADMIN_PASSWORD },
    },
    io,
  );
  if (password === undefined) {
    throw new CliError('no password: pipe one with --password-stdin or set ADMIN_PASSWORD (there is no default)');
  }
  return password;
}

async function createAdmin({ users, audit, db }: Services, { password, io }: SeedPlan): Promise<void> {
  const context = cliAuditContext();
  const created = await users.createUser({
    email: ADMIN_EMAIL,
    password,
    emailConfirmed: true,
    lockoutEnabled: false,
    roles: [ADMIN_ROLE],
    context,
  });
  if (!created.succeeded) throw new CliError(describeErrors(created.errors));
  await audit.record(db.knex, { userId: created.value.id, type: 'AdminSeeded', detail: { created: true }, context });
  io.stdout(`Created ${ADMIN_EMAIL} with role ${ADMIN_ROLE} (email confirmed, lockout disabled).\n`);
}

/** Ensures the role (and with --force the password) of an admin that exists already. */
async function updateExistingAdmin({ users, audit, db }: Services, existing: User, plan: SeedPlan): Promise<void> {
  const { password, force, io } = plan;
  const context = cliAuditContext();
  const createdBySeed = await audit.hasEvent(db.knex, existing.id, 'AdminSeeded', { created: true });
  if (!createdBySeed) refuseForeignAccount(existing.emailConfirmed, plan.grantExisting);
  const hasRole = (await users.getRoles(existing.id)).some((r) => r.toLowerCase() === ADMIN_ROLE.toLowerCase());
  if (!hasRole) await users.addToRole(existing.id, ADMIN_ROLE, context);
  if (force) {
    const changed = await users.storeNewPassword(existing, password, 'PasswordReset', context);
    if (!changed.succeeded) throw new CliError(`password rejected: ${describeErrors(changed.errors)}`);
  }
  await audit.record(db.knex, {
    userId: existing.id,
    type: 'AdminSeeded',
    detail: { created: false, grantedExisting: !createdBySeed, roleAdded: !hasRole, passwordChanged: force },
    context,
  });
  io.stdout(
    `${ADMIN_EMAIL} already exists; ${hasRole ? `it already has role ${ADMIN_ROLE}` : `added role ${ADMIN_ROLE}`}; ` +
      (force ? 'password changed (its sessions have ended).\n' : 'password left unchanged (use --force to set it).\n'),
  );
}

/** Stops the seed before it touches an admin@example.com that it did not create. */
function refuseForeignAccount(emailConfirmed: boolean, grantExisting: boolean): void {
  if (!grantExisting) {
    throw new CliError(
      `${ADMIN_EMAIL} already exists and seed did not create it, so it gets no role: check who owns it ` +
        `(list-users); if it is yours, confirm its email and run seed again with --grant-existing`,
    );
  }
  if (!emailConfirmed) {
    throw new CliError(
      `${ADMIN_EMAIL} already exists but its email is not confirmed, so whoever registered it may not own the ` +
        `address: confirm it through the confirmation mail first, then run seed --grant-existing again`,
    );
  }
}
