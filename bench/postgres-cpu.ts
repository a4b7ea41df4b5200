import fs from 'node:fs';
import knex from 'knex';

/**
 * CPU time used so far by the Postgres backends serving one database, read from /proc (the
 * server is on this machine). Gatehouse's queries cost CPU on the same two cores the apps use,
 * so a fair per-request cost counts them. Undefined when /proc cannot be read.
 */
export async function postgresCpuMs(adminUrl: string, database: string): Promise<Map<number, number> | undefined> {
  const admin = knex({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  try {
    const { rows } = await admin.raw<{ rows: Array<{ pid: number }> }>('select pid from pg_stat_activity where datname = ?', [database]);
    const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / ticksPerMs);
    }
    return cpu;
  } catch {
    return undefined;
  } finally {
    await admin.destroy();
  }
}

/** CPU the backends used between two readings (backends that appeared in between count from zero). */
export function postgresCpuBetween(before: Map<number, number> | undefined, after: Map<number, number> | undefined): number | undefined {
  if (!before || !after) return undefined;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}
