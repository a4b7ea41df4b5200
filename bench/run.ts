/**
 * `npm run bench`: Gatehouse against a bare Express baseline and against Better Auth, in one
 * run on one Postgres server, each app in its own process, all three from compiled JavaScript.
 * Prints a table of ratios and writes bench/RESULTS.md.
 *
 * Environment: BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_CPU_PROF=1 to write a CPU profile of
 * each app's measured windows to bench/out/<app>-<phase>.cpuprofile (open in Chrome DevTools).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApps, freePort, npmStartNodeArgs, startApp, type AppName, type AppUnderTest } from './apps.js';
import { argon2Bound, measureArgon2Throughput, timeArgon2Verifications } from './argon2-bound.js';
import { seedBetterAuth } from './better-auth.js';
import { dropDatabase, recreateDatabase, seedUsers } from './database.js';
import { CONNECTIONS, manageLoad, signIn, signInLoad } from './load.js';
import { measureAll, type MeasureOptions } from './measure.js';
import { machine, markdownTable, resultsMarkdown, warnings, type BenchResults } from './report.js';
import type { ProbeReport } from './probe.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Gatehouse's tables (the baseline reads the same users); Better Auth's own tables. */
const databases = { gatehouse: 'gatehouse_bench', betterAuth: 'gatehouse_bench_better_auth' };
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const profileDir = process.env.BENCH_CPU_PROF === '1' ? path.join(benchDir, 'out') : undefined;
const password = 'correct horse battery staple';
const emails = Array.from({ length: CONNECTIONS }, (_, i) => `bench-user-${i}@example.test`);

const betterAuthVersion = () =>
  (JSON.parse(fs.readFileSync(path.join(benchDir, '..', 'node_modules', 'better-auth', 'package.json'), 'utf8')) as { version: string })
    .version;
const log = (message: string) => console.log(`[bench] ${message}`);

/** Seeds both databases and starts the apps, into `apps` as each comes up (so all are stopped). */
async function startAll(apps: AppUnderTest[]): Promise<void> {
  const secret = crypto.randomBytes(32).toString('base64url');
  const common = { NODE_ENV: 'production', SESSION_SECRET: secret, TRUST_PROXY: '1' };
  const gatehouseUrl = await recreateDatabase(adminUrl, databases.gatehouse);
  const betterAuthUrl = await recreateDatabase(adminUrl, databases.betterAuth);
  log(`databases ${databases.gatehouse} and ${databases.betterAuth} created; seeding ${emails.length} users in each`);
  await seedUsers(gatehouseUrl, emails, password);
  await seedBetterAuth(betterAuthUrl, emails, password);

  const baselinePort = await freePort();
  apps.push(
    await startApp({
      name: 'baseline',
      entry: 'dist/bench/baseline-app.js',
      database: databases.gatehouse,
      port: baselinePort,
      env: { ...common, DATABASE_URL: gatehouseUrl },
    }),
  );
  const gatehousePort = await freePort();
  apps.push(
    await startApp({
      name: 'gatehouse',
      entry: 'dist/src/main.js',
      nodeArgs: npmStartNodeArgs(),
      database: databases.gatehouse,
      port: gatehousePort,
      env: {
        ...common,
        DATABASE_URL: gatehouseUrl,
        HOST: '127.0.0.1',
        APP_BASE_URL: `http://127.0.0.1:${gatehousePort}`,
        LOG_LEVEL: 'warn',
        DEMO_MODE: 'false',
        // The load signs in from one address as fast as it can: lift the guessing throttle
        // (Better Auth's rate limit is off too).
        SIGNIN_ATTEMPTS_PER_ACCOUNT: '1000000',
        SIGNIN_ATTEMPTS_PER_IP: '1000000',
        // Fifty sign-ins always in flight on two cores keep the hashing queue 48 deep: when a
        // busy machine slows argon2 past ~80 ms, the deployed 2 s wait limit refuses most posts
        // with a 503, and the retries cost CPU. That limit sheds floods; it is not what this
        // load measures, and the other apps queue without one. BENCH_ARGON2_QUEUE_WAIT_MS=2000
        // measures it as deployed.
        ARGON2_MAX_QUEUE_WAIT_MS: process.env.BENCH_ARGON2_QUEUE_WAIT_MS ?? '60000',
      },
    }),
  );
  const betterAuthPort = await freePort();
  apps.push(
    await startApp({
      name: 'betterAuth',
      entry: 'dist/bench/better-auth-app.js',
      database: databases.betterAuth,
      port: betterAuthPort,
      env: { ...common, DATABASE_URL: betterAuthUrl },
    }),
  );
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  log(`${machine()}`);
  log('building Gatehouse (npm run build) and the bench apps (bench/tsconfig.json)');
  buildApps();
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  const apps: AppUnderTest[] = [];
  try {
    await startAll(apps);
    const order = apps.map((app) => app.name).join(', ');

    log('signing one session in per user on each app');
    const cookies = new Map<AppUnderTest, string[]>();
    // One at a time: fifty at once would wait in Gatehouse's hashing queue long enough, on a
    // busy machine, to be refused with a 503 (ARGON2_MAX_QUEUE_WAIT_MS), which is not the point here.
    for (const app of apps) {
      const sessions: string[] = [];
      for (const email of emails) sessions.push(await signIn(app.url, email, password));
      cookies.set(app, sessions);
    }

    const options: MeasureOptions = { adminUrl, seconds, warmupSeconds, settleMs: 500, profileDir };
    log(`signed-in GET /manage: ${warmupSeconds} s warm-up each, then ${seconds} s each in the order ${order} and back`);
    const manage = await measureAll(apps, 'manage', (app, s) => manageLoad(app.url, cookies.get(app)!, s), options);

    // The apps' event-loop delay with no load at all: what the machine alone does to them.
    log('event-loop delay of every app, idle (3 s)');
    await Promise.all(apps.map((app) => app.resetProbe()));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const idleReports = await Promise.all(apps.map((app) => app.readProbe()));
    const idle = Object.fromEntries(apps.map((app, i) => [app.name, idleReports[i]])) as Record<AppName, ProbeReport>;

    // Timed before and after the sign-in load (apps idle), so a drift in the machine's load
    // reaches the bound as it reaches the sign-ins.
    log('timing single argon2 verifications');
    const verifyTimes = await timeArgon2Verifications();
    const throughputs = [await measureArgon2Throughput(os.availableParallelism())];
    // Long enough for every connection's queued verification to finish between windows.
    const settleMs = Math.ceil((CONNECTIONS / argon2Bound(verifyTimes).signInsPerSecond) * 1000) + 1000;
    log('password sign-ins, in the same order');
    const signIns = await measureAll(apps, 'sign-in', (app, s) => signInLoad(app.url, emails, password, s), { ...options, settleMs });
    verifyTimes.push(...(await timeArgon2Verifications()));
    throughputs.push(await measureArgon2Throughput(os.availableParallelism()));
    const bound = argon2Bound(verifyTimes);
    const argon2Throughput = (throughputs[0] + throughputs[1]) / 2;
    log(
      `argon2 bound: ${bound.cores} cores ÷ ${bound.medianVerifyMs.toFixed(1)} ms = ${bound.signInsPerSecond.toFixed(1)} sign-ins/s; measured with ${bound.cores} in flight: ${argon2Throughput.toFixed(1)}/s`,
    );

    const results: BenchResults = {
      startedAt,
      seconds,
      warmupSeconds,
      connections: CONNECTIONS,
      loadBefore,
      loadAfter: os.loadavg(),
      bound,
      argon2Throughput,
      betterAuthVersion: betterAuthVersion(),
      manage,
      idle,
      signIn: signIns,
    };
    console.log(`\n${markdownTable(results)}\n`);
    for (const warning of warnings(results)) console.log(`warning: ${warning}`);
    fs.writeFileSync(path.join(benchDir, 'RESULTS.md'), resultsMarkdown(results));
    // Every figure, for digging further (bench/out/ is not committed).
    fs.mkdirSync(path.join(benchDir, 'out'), { recursive: true });
    fs.writeFileSync(path.join(benchDir, 'out', 'results.json'), JSON.stringify(results, null, 2));
    log('written to bench/RESULTS.md');
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await dropDatabase(adminUrl, databases.gatehouse);
    await dropDatabase(adminUrl, databases.betterAuth);
  }
}

main().catch((err) => {
  console.error('[bench] failed:', err);
  process.exitCode = 1;
});
