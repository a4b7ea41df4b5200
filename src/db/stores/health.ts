import type { Queryable } from '../queryable.js';

/** Resolves when the database answers a trivial query; rejects when it cannot be reached. */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.raw('select 1');
}
