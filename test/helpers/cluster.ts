import crypto from 'node:crypto';
import knex, { type Knex } from 'knex';
import request from 'supertest';
import { startAppProcess, type AppProcess } from './app-process.js';
import { csrfFrom, demoLinkFrom, localPath, PASSWORD } from './setup.js';
import { demoCodeFrom } from './two-factor.js';

/**
 * Two (or more) Gatehouse processes on one Postgres database, as behind a load balancer, and a
 * browser whose cookies go to whichever instance a request is sent to.
 */

export type Response = request.Response;
export type Instance = Pick<AppProcess, 'baseUrl'> & { name: string };

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The Postgres server these tests use: DATABASE_URL's server if set, else the local default. */
export function clusterServerUrl(): string {
  return process.env.DATABASE_URL || DEFAULT_SERVER;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

const hostOf = (url: string) => new URL(url).host;

export interface ClusterDatabase {
  name: string;
  url: string;
  /** A connection for assertions (the test's own, not the instances'). */
  knex: Knex;
  drop(): Promise<void>;
}

/**
 * Creates a brand-new, empty database (`gatehouse_cluster_<random>`) on the server. Fails with a
 * clear message when no server answers: this suite always needs one, whatever the run.
 */
export async function createClusterDatabase(): Promise<ClusterDatabase> {
  const server = clusterServerUrl();
  const admin = knex({ client: 'pg', connection: server, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 10_000 });
  const name = `gatehouse_cluster_${crypto.randomBytes(6).toString('hex')}`;
  try {
    await admin.raw(`CREATE DATABASE "${name}"`);
  } catch (err) {
    await admin.destroy();
    throw new Error(
      `test/cluster needs a Postgres server at ${hostOf(server)} (from DATABASE_URL, or postgres://postgres@127.0.0.1:5432 ` +
        `when it is unset), and could not create a database there: ${(err as Error).message}. ` +
        'Start Postgres (CI always has one) or point DATABASE_URL at a server.',
      { cause: err },
    );
  }
  const url = withDatabase(server, name);
  const db = knex({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
  return {
    name,
    url,
    knex: db,
    async drop() {
      await db.destroy();
      try {
        await admin.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.destroy();
      }
    },
  };
}

/** Same secret and public URL on every instance, as behind one load balancer. */
export const CLUSTER_SESSION_SECRET = 'cluster-test-secret-0123456789-abcdefghijklmnop';
export const CLUSTER_BASE_URL = 'http://gatehouse.test';

export interface Cluster {
  a: Instance;
  b: Instance;
  processes: AppProcess[];
  stop(): Promise<void>;
}

/** Starts two processes on one database at the same moment, each on a port of its own. */
export async function startCluster(databaseUrl: string, env: Record<string, string> = {}): Promise<Cluster> {
  const common = {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATA_DIR: '/nonexistent-gatehouse-cluster',
    SESSION_SECRET: CLUSTER_SESSION_SECRET,
    APP_BASE_URL: CLUSTER_BASE_URL,
    LOG_LEVEL: 'info',
    ...env,
  };
  const started = await Promise.allSettled([startAppProcess(common, 120_000), startAppProcess(common, 120_000)]);
  const processes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(
      processes.map(async (p) => {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
        const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
        await p.exited;
        clearTimeout(timer);
      }),
    );
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  const [a, b] = processes;
  return { a: { name: 'A', baseUrl: a.baseUrl }, b: { name: 'B', baseUrl: b.baseUrl }, processes, stop };
}

/**
 * One browser. Its cookie jar is not tied to a port: a load balancer shows every instance
 * under one origin, so whatever A set is sent to B as well (browsers do not key cookies by
 * port either). `clone()` copies the cookies: the same session in a second tab or device.
 */
export class Browser {
  private readonly jar = new Map<string, string>();

  constructor(readonly userAgent = 'cluster-test-browser') {}

  get cookie(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  clone(): Browser {
    const copy = new Browser(this.userAgent);
    for (const [name, value] of this.jar) copy.jar.set(name, value);
    return copy;
  }

  /** The value of one cookie (e.g. the session id) or undefined. */
  cookieValue(name: string): string | undefined {
    return this.jar.get(name);
  }

  private keep(res: Response): Response {
    const header = res.headers['set-cookie'] as unknown as string[] | string | undefined;
    for (const line of Array.isArray(header) ? header : header ? [header] : []) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = attributes.some((attr) => {
        const [key, val = ''] = attr.trim().split('=');
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key.toLowerCase() === 'expires') return new Date(val).getTime() <= Date.now();
        return false;
      });
      if (gone || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  async get(at: Instance, path: string): Promise<Response> {
    return this.keep(await request(at.baseUrl).get(path).set('Cookie', this.cookie).set('User-Agent', this.userAgent));
  }

  /** Posts a form with a token already read (the session must not have changed since). */
  async postWithToken(at: Instance, path: string, fields: Record<string, string>, _csrf: string): Promise<Response> {
    return this.keep(
      await request(at.baseUrl)
        .post(path)
        .set('Cookie', this.cookie)
        .set('User-Agent', this.userAgent)
        .type('form')
        .send({ ...fields, _csrf }),
    );
  }

  /** The CSRF token of this browser's session, from a page served by `at`. */
  async csrf(at: Instance, formPath: string): Promise<string> {
    return csrfFrom((await this.get(at, formPath)).text);
  }

  /**
   * Posts a form the way a browser does: fetches the form page for its token first — from
   * `formFrom` if given (the load balancer may send the two requests to different instances).
   */
  async post(at: Instance, path: string, fields: Record<string, string>, options: { formPath?: string; formFrom?: Instance } = {}) {
    const token = await this.csrf(options.formFrom ?? at, options.formPath ?? path);
    return this.postWithToken(at, path, fields, token);
  }
}

function expectStatus(res: Response, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
}

/** Registers through `at` and confirms through `confirmAt` (the link works on any instance). */
export async function registerConfirmed(at: Instance, email: string, confirmAt: Instance = at): Promise<void> {
  const browser = new Browser();
  const res = await browser.post(at, '/account/register', { email, password: PASSWORD, confirmPassword: PASSWORD });
  expectStatus(res, 200, `register ${email}`);
  // The link shows a button; its POST confirms (the page's form carries the code).
  const link = new URL(demoLinkFrom(res.text));
  const page = await browser.get(confirmAt, localPath(link.href));
  expectStatus(page, 200, `confirmation page of ${email}`);
  const fields = { userId: link.searchParams.get('userId') ?? '', code: link.searchParams.get('code') ?? '' };
  const confirm = await browser.postWithToken(confirmAt, '/account/confirm-email', fields, csrfFrom(page.text));
  expectStatus(confirm, 200, `confirm ${email}`);
}

/** The password step through `at`: 303 to the return URL, or to Send Code with two-factor on. */
export async function passwordStep(at: Instance, email: string, browser = new Browser(), password = PASSWORD) {
  const res = await browser.post(at, '/account/login', { email, password });
  return { browser, res };
}

export async function signIn(at: Instance, email: string, browser = new Browser()): Promise<Browser> {
  const { res } = await passwordStep(at, email, browser);
  expectStatus(res, 303, `sign in ${email}`);
  return browser;
}

/** Adds and verifies a phone number (demo mode: the code is on the page), then turns two-factor on. */
export async function enableTwoFactorWithPhone(at: Instance, browser: Browser, phoneNumber: string): Promise<void> {
  const sent = await browser.post(at, '/manage/add-phone-number', { phoneNumber });
  expectStatus(sent, 303, 'add phone number');
  const page = await browser.get(at, sent.headers.location);
  const verified = await browser.post(
    at,
    '/manage/verify-phone-number',
    {
      phoneNumber: /name="phoneNumber" value="([^"]+)"/.exec(page.text)![1],
      code: demoCodeFrom(page.text),
    },
    { formPath: sent.headers.location },
  );
  if (verified.headers.location !== '/manage?message=AddPhoneSuccess')
    throw new Error(`verify phone: ${verified.status} ${verified.text.slice(0, 300)}`);
  const enabled = await browser.post(at, '/manage/enable-two-factor', {}, { formPath: '/manage' });
  if (enabled.headers.location !== '/manage?message=SetTwoFactorSuccess') throw new Error(`enable two-factor: ${enabled.status}`);
}

/** Send Code for a pending sign-in; returns the response (303 to Verify Code when sent). */
export const sendCode = (at: Instance, browser: Browser, selectedProvider = 'Phone Code') =>
  browser.post(at, '/account/send-code', { selectedProvider }, { formPath: '/account/send-code' });

/** Verify Code (the token comes from the login page, which any visitor gets). */
export const verifyCode = (at: Instance, browser: Browser, code: string, provider = 'Phone Code') =>
  browser.post(at, '/account/verify-code', { provider, code }, { formPath: '/account/login' });

/** The code on the Verify Code page (demo mode), as served by `at`. */
export async function demoCodeOnVerifyPage(at: Instance, browser: Browser): Promise<string> {
  return demoCodeFrom((await browser.get(at, '/account/verify-code?provider=Phone%20Code')).text);
}

/** A six-digit code that is certainly not `code` (distinct for distinct i, 1 ≤ i < 10^6). */
export const wrongCode = (code: string, i = 1) => String((Number(code) + i) % 1_000_000).padStart(6, '0');
