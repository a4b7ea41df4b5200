/**
 * `npm run bench`: Gatehouse against a bare Express baseline, in one run on one Postgres
 * server, each app in its own process. Prints a table of ratios and writes bench/RESULTS.md.
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
import { freePort, startApp, type AppUnderTest } from './apps.js';
import { measureArgon2Bound } from './argon2-bound.js';
import { dropDatabase, recreateDatabase, seedUsers } from './database.js';
import { CONNECTIONS, manageLoad, signIn, signInLoad, type LoadResult } from './load.js';
import { postgresCpuBetween, postgresCpuMs } from './postgres-cpu.js';
import { machine, markdownTable, resultsMarkdown, warnings, type BenchResults, type Measured } from './report.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseName = 'gatehouse_bench';
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const profileDir = process.env.BENCH_CPU_PROF === '1' ? path.join(benchDir, 'out') : undefined;
const password = 'correct horse battery staple';
const emails = Array.from({ length: CONNECTIONS }, (_, i) => `bench-user-${i}@example.test`);

const log = (message: string) => console.log(`[bench] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Warm up, then measure with the app's probe watching only the measured window. */
async function measure(app: AppUnderTest, phase: string, drive: (seconds: number) => Promise<LoadResult>, settleMs: number): Promise<Measured> {
  await drive(warmupSeconds);
  // Work the server accepted during warm-up (queued hashes) must not count in the window.
  await sleep(settleMs);
  const profile = profileDir && path.join(profileDir, `${app.name}-${phase}.cpuprofile`);
  const postgresBefore = await postgresCpuMs(adminUrl, databaseName);
  await app.resetProbe(profile);
  const load = await drive(seconds);
  const probe = await app.readProbe(profile);
  const postgresAfter = await postgresCpuMs(adminUrl, databaseName);
  await sleep(settleMs);
  return { load, probe, postgresCpuMs: postgresCpuBetween(postgresBefore, postgresAfter) };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  log(`${machine()}`);
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  const databaseUrl = await recreateDatabase(adminUrl, databaseName);
  log(`database ${databaseName} created; seeding ${emails.length} users`);
  await seedUsers(databaseUrl, emails, password);

  const secret = crypto.randomBytes(32).toString('base64url');
  const common = { NODE_ENV: 'production', DATABASE_URL: databaseUrl, SESSION_SECRET: secret, TRUST_PROXY: '1' };
  const apps: AppUnderTest[] = [];
  try {
    const baselinePort = await freePort();
    apps.push(await startApp({ name: 'baseline', entry: 'bench/baseline-app.ts', port: baselinePort, env: common }));
    const gatehousePort = await freePort();
    apps.push(await startApp({
      name: 'gatehouse',
      entry: 'src/main.ts',
      port: gatehousePort,
      env: { ...common, HOST: '127.0.0.1', APP_BASE_URL: `http://127.0.0.1:${gatehousePort}`, LOG_LEVEL: 'warn', DEMO_MODE: 'false' },
    }));
    const [baseline, gatehouse] = apps;

    log('signing one session in per user on each app');
    const cookies = new Map<AppUnderTest, string[]>();
    for (const app of apps) cookies.set(app, await Promise.all(emails.map((e) => signIn(app.url, e, password))));

    const manage = {} as BenchResults['manage'];
    for (const app of [baseline, gatehouse]) {
      log(`${app.name}: signed-in GET /manage (${warmupSeconds} s warm-up + ${seconds} s)`);
      manage[app.name as 'baseline'] = await measure(app, 'manage', (s) => manageLoad(app.url, cookies.get(app)!, s), 500);
    }

    log('timing single argon2 verifications');
    const bound = await measureArgon2Bound();
    log(`argon2 bound: ${bound.cores} cores ÷ ${bound.medianVerifyMs.toFixed(1)} ms = ${bound.signInsPerSecond.toFixed(1)} sign-ins/s`);

    const signIns = {} as BenchResults['signIn'];
    // Long enough for every connection's queued verification to finish between windows.
    const settleMs = Math.ceil((CONNECTIONS / bound.signInsPerSecond) * 1000) + 1000;
    for (const app of [baseline, gatehouse]) {
      log(`${app.name}: password sign-ins (${warmupSeconds} s warm-up + ${seconds} s)`);
      signIns[app.name as 'baseline'] = await measure(app, 'sign-in', (s) => signInLoad(app.url, emails, password, s), settleMs);
    }

    const results: BenchResults = {
      startedAt, seconds, warmupSeconds, connections: CONNECTIONS,
      loadBefore, loadAfter: os.loadavg(), bound, manage, signIn: signIns,
    };
    console.log(`\n${markdownTable(results)}\n`);
    for (const warning of warnings(results)) console.log(`warning: ${warning}`);
    fs.writeFileSync(path.join(benchDir, 'RESULTS.md'), resultsMarkdown(results));
    log('written to bench/RESULTS.md');
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await dropDatabase(adminUrl, databaseName);
  }
}

main().catch((err) => {
  console.error('[bench] failed:', err);
  process.exitCode = 1;
});
