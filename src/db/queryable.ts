import type { Knex } from 'knex';

/**
 * Anything that runs queries: the database or a transaction on it. Managers hold one and pass
 * it (or the transaction they opened on it) to the stores, which alone build SQL on it.
 */
export type Queryable = Knex | Knex.Transaction;
