import os from 'node:os';
import type { AppName } from './apps.js';
import type { Argon2Bound } from './argon2-bound.js';
import type { LoadResult } from './load.js';
import type { ProbeReport } from './probe.js';

export interface Measured {
  load: LoadResult;
  probe: ProbeReport;
  /** CPU the app's Postgres backends used in the window, when it could be read. */
  postgresCpuMs?: number;
}

export interface BenchResults {
  startedAt: Date;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  loadBefore: number[];
  loadAfter: number[];
  bound: Argon2Bound;
  betterAuthVersion: string;
  /** Verifications per second measured with `bound.cores` in flight and no app running. */
  argon2Throughput: number;
  manage: Record<AppName, Measured>;
  /** Each app's probe over a few seconds with no load. */
  idle: Record<AppName, ProbeReport>;
  signIn: Record<AppName, Measured>;
}

interface Row {
  measure: string;
  /** The three apps' figures, in the order baseline, Gatehouse, Better Auth. */
  values: [string, string, string];
  /** Gatehouse ÷ baseline and Gatehouse ÷ Better Auth, or '—'. */
  ratios: [string, string];
  target: string;
  /** Undefined for rows that explain the others and have no target. */
  met?: boolean;
}

const APPS: AppName[] = ['baseline', 'gatehouse', 'betterAuth'];
const NAMES: Record<AppName, string> = { baseline: 'Baseline', gatehouse: 'Gatehouse', betterAuth: 'Better Auth' };

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const fixed = (n: number, digits = 2) => n.toFixed(digits);

/** Total CPU (app, all threads, plus its Postgres backends) per unit of work, in ms. */
const cpuPer = (m: Measured, units: number) => (m.probe.cpuMs + (m.postgresCpuMs ?? 0)) / Math.max(1, units);
const per = (ms: number | undefined, units: number) => (ms === undefined ? '?' : fixed(ms / Math.max(1, units)));
const cpuCell = (m: Measured, units: number) =>
  `${fixed(cpuPer(m, units))} = ${per(m.probe.cpuMs, units)} app (${per(m.probe.mainThreadCpuMs, units)} event loop) + ${per(m.postgresCpuMs, units)} PG`;

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const memory = `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`;
  return `${os.availableParallelism()} cores (${cpu}), ${memory} RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

function rows(r: BenchResults): Row[] {
  const { manage, signIn, bound } = r;
  const each = (f: (app: AppName) => string) => APPS.map(f) as [string, string, string];
  /** Gatehouse ÷ each of the others, of a figure per app. */
  const against = (f: (app: AppName) => number) => [f('gatehouse') / f('baseline'), f('gatehouse') / f('betterAuth')] as const;
  const ratioCells = (f: (app: AppName) => number) => against(f).map((x) => fixed(x)) as [string, string];
  const rps = against((a) => manage[a].load.requestsPerSecond);
  const p99 = against((a) => manage[a].load.p99LatencyMs);
  const signIns = against((a) => signIn[a].load.requestsPerSecond);
  const rss = against((a) => signIn[a].probe.peakRssBytes);
  const lag = signIn.gatehouse.probe.eventLoopDelayP99Ms;
  const pages = (m: Measured) => m.load.responses;
  const successes = (m: Measured) => m.load.successes;
  const none: [string, string] = ['—', '—'];
  return [
    {
      measure: 'Signed-in GET /manage, req/s',
      values: each((a) => fixed(manage[a].load.requestsPerSecond, 0)),
      ratios: ratioCells((a) => manage[a].load.requestsPerSecond),
      target: '≥ 0.6× baseline',
      met: rps[0] >= 0.6,
    },
    {
      measure: 'CPU per signed-in GET /manage (ms; explains the row above)',
      values: each((a) => cpuCell(manage[a], pages(manage[a]))),
      ratios: ratioCells((a) => cpuPer(manage[a], pages(manage[a]))),
      target: '—',
    },
    {
      measure: 'Signed-in GET /manage, p99 latency (ms)',
      values: each((a) => fixed(manage[a].load.p99LatencyMs, 0)),
      ratios: ratioCells((a) => manage[a].load.p99LatencyMs),
      target: '≤ 2× baseline',
      met: p99[0] <= 2,
    },
    {
      measure: 'Password sign-ins/s',
      values: each((a) => fixed(signIn[a].load.requestsPerSecond, 1)),
      ratios: ratioCells((a) => signIn[a].load.requestsPerSecond),
      target: '≥ 1× Better Auth',
      met: signIns[1] >= 1,
    },
    {
      measure: `Sign-ins/s ÷ argon2 bound (${fixed(bound.signInsPerSecond, 1)}/s = ${bound.cores} cores ÷ ${fixed(bound.medianVerifyMs, 1)} ms; explains the row above)`,
      values: each((a) => fixed(signIn[a].load.requestsPerSecond / bound.signInsPerSecond)),
      ratios: none,
      target: '—',
    },
    {
      measure: `Sign-ins/s ÷ argon2 alone, ${bound.cores} in flight (${fixed(r.argon2Throughput, 1)}/s measured; explains the row above)`,
      values: each((a) => fixed(signIn[a].load.requestsPerSecond / r.argon2Throughput)),
      ratios: none,
      target: '—',
    },
    {
      measure: `CPU per sign-in, argon2 included (ms; one verification alone took ${fixed(bound.medianVerifyMs, 1)})`,
      values: each((a) => cpuCell(signIn[a], successes(signIn[a]))),
      ratios: ratioCells((a) => cpuPer(signIn[a], successes(signIn[a]))),
      target: '—',
    },
    {
      measure: 'Event-loop delay p99 during sign-ins (ms)',
      values: each((a) => fixed(signIn[a].probe.eventLoopDelayP99Ms, 1)),
      ratios: none,
      target: 'Gatehouse ≤ 20 ms',
      met: lag <= 20,
    },
    {
      measure: 'Event-loop delay p99 with no load at all (ms; the machine alone, explains the row above)',
      values: each((a) => fixed(r.idle[a].eventLoopDelayP99Ms, 1)),
      ratios: none,
      target: '—',
    },
    {
      measure: 'Peak RSS during sign-ins (MiB)',
      values: each((a) => mib(signIn[a].probe.peakRssBytes)),
      ratios: ratioCells((a) => signIn[a].probe.peakRssBytes),
      target: '≤ 1.2× baseline',
      met: rss[0] <= 1.2,
    },
  ];
}

export function markdownTable(r: BenchResults): string {
  const lines = [
    '| Measure | Baseline | Gatehouse | Better Auth | Gatehouse ÷ baseline | Gatehouse ÷ Better Auth | Target | Met |',
    '|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const row of rows(r)) {
    const met = row.met === undefined ? '—' : row.met ? 'yes' : '**no**';
    lines.push(`| ${row.measure} | ${row.values.join(' | ')} | ${row.ratios.join(' | ')} | ${row.target} | ${met} |`);
  }
  return lines.join('\n');
}

/** Anything that makes a number suspect: failed requests, or sign-ins that did not succeed. */
export function warnings(r: BenchResults): string[] {
  const out: string[] = [];
  const check = (what: string, m: Measured) => {
    if (m.load.failures > 0)
      out.push(`${what}: ${m.load.failures} responses were not successes (of ${m.load.successes + m.load.failures}).`);
  };
  for (const app of APPS) {
    check(`${NAMES[app]} GET /manage`, r.manage[app]);
    check(`${NAMES[app]} sign-ins`, r.signIn[app]);
  }
  return out;
}

export function resultsMarkdown(r: BenchResults): string {
  const load = (l: number[]) => l.map((n) => n.toFixed(2)).join(' / ');
  const warned = warnings(r);
  return `# Benchmark results

Written by \`npm run bench\` (bench/run.ts). Each run replaces this file.

- **Date:** ${r.startedAt.toISOString()}
- **Machine:** ${machine()}
- **Load average (1/5/15 min)** before the run: ${load(r.loadBefore)}; after: ${load(r.loadAfter)}
- **Load:** autocannon, ${r.connections} connections, loopback; per load, a ${r.warmupSeconds} s warm-up of each app, then
  ${r.seconds} s of measurement per app in two halves, in the order baseline, Gatehouse, Better Auth, Better Auth,
  Gatehouse, baseline
- **Apps:** each in its own process, compiled JavaScript (no tsx), NODE_ENV=production, same Postgres server;
  Gatehouse = \`dist/src/main.js\` (\`npm run build\`, as \`npm start\` runs it); baseline =
  \`bench/baseline-app.ts\` (Express 5, express-session memory store, helmet, same EJS pages); Better Auth =
  \`bench/better-auth-app.ts\` (better-auth ${r.betterAuthVersion}, email and password, its own database, argon2id at
  Gatehouse's cost, rate limit off, sessions checked by its \`getSession\`; Express 5, helmet, same EJS pages)

${markdownTable(r)}
${warned.length ? `\n**Warnings:**\n${warned.map((w) => `- ${w}`).join('\n')}\n` : ''}
## How to read this

- Only ratios within one run mean anything (the interleaved order spreads a drift in the
  machine's load over all apps). This machine is shared and noisy: identical runs
  differ by up to 3×, so absolute figures are not comparable between runs or with other machines.
- Sign-ins/s counts only successful sign-ins (303: the login page, then the form post; Better
  Auth's app hands the post to its \`signInEmail\`). The target compares Gatehouse with Better
  Auth; the rows below it compare every app with the argon2 bound measured in the same run: one argon2id verification at a time (m=19 MiB, t=2, p=1), median
  of ${r.bound.samples} timed before and after the sign-in load, and cores ÷ that time. The
  row below it divides by what argon2 alone achieved with as many verifications in flight as
  cores, measured in the same run: when other work takes the cores, that falls below the
  bound, and sign-ins with it, whatever the app does. Gatehouse runs at most one verification
  per core; the baseline and Better Auth bound nothing (libuv's 4 pool threads run 4 at once).
- Latency p99 is the mean of the two windows' p99; event-loop delay and RSS are the worse window.
- Event-loop delay is the app's own, measured inside it by bench/probe.ts
  (\`monitorEventLoopDelay\`, 10 ms resolution, reported as delay beyond that interval).
- Peak RSS is sampled every 20 ms inside each app during the measured sign-in load.
- CPU per request is the app process's CPU time (all threads, so argon2 too) plus that of its
  Postgres backends (read from /proc), divided by responses (sign-ins: successful sign-ins).
  "Event loop" is the app's main thread alone (argon2 runs on libuv's pool threads); /proc
  counts it in 10 ms ticks. On a busy machine it is
  steadier than req/s, and it shows where the time goes.
`;
}
