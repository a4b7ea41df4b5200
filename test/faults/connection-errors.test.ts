import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasherBusyError } from '../../src/identity/password-hasher.js';
import { PASSWORD, postForm, setup, type World } from '../helpers/setup.js';

// Every way pg, knex and PGlite report a lost database (as seen while the database-outage test
// stops its server under load) ends on the 503 page. Each is raised from registration, the
// request that most often meets the outage inside its transaction.
let world: World;
beforeAll(async () => {
  // Every case registers the same address from the same client: no registration limits here.
  world = await setup({ env: { REGISTER_ATTEMPTS_PER_IP: '1000', REGISTER_ATTEMPTS_PER_ADDRESS: '1000' } });
});
afterAll(() => world.close());

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

const lostDatabase: [string, Error][] = [
  ['the server refusing connections', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
  ['the connection reset', withCode('read ECONNRESET', 'ECONNRESET')],
  ['the server shutting down (57P01)', withCode('terminating connection due to administrator command', '57P01')],
  ['the server not accepting connections yet (57P03)', withCode('the database system is shutting down', '57P03')],
  ['the connection ending mid-query', new Error('insert into "users" ... - Connection terminated unexpectedly')],
  [
    'the ROLLBACK after the connection dropped in a transaction',
    new Error('ROLLBACK - Client has encountered a connection error and is not queryable'),
  ],
  ['a query on a client that was closed', new Error('Client was closed and is not queryable')],
  ['a query the server never answers', new Error('select "data" from "sessions" ... - Query read timeout')],
  ['a connection the server never answers', new Error('timeout expired')],
  [
    'no free connection in the pool',
    Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
  ],
  ['the embedded database closed', new Error('PGlite is closed')],
];

async function registerFailingWith(error: Error) {
  const users = world.services.users;
  const register = users.register;
  users.register = async () => {
    throw error;
  };
  try {
    return await postForm(world.agent(), '/account/register', { email: 'lost@example.com', password: PASSWORD, confirmPassword: PASSWORD });
  } finally {
    users.register = register;
  }
}

describe('when the database connection is lost during a request', () => {
  it.each(lostDatabase)('%s gives the 503 page', async (_name, error) => {
    const res = await registerFailingWith(error);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.text).toContain('cannot reach its database');
  });

  it('a full password-hashing queue is a 503 too, with its own page and Retry-After', async () => {
    const res = await registerFailingWith(new PasswordHasherBusyError(3));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.text).toContain('Gatehouse is busy right now. Please try again in a moment.');
  });

  it('any other failure is still a plain 500', async () => {
    const res = await registerFailingWith(new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect(res.status).toBe(500);
  });
});
