import os from 'node:os';
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
  /** Verifications per second measured with `bound.cores` in flight and no app running. */
  argon2Throughput: number;
  manage: { baseline: Measured; gatehouse: Measured };
  /** Each app's probe over a few seconds with no load. */
  idle: { baseline: ProbeReport; gatehouse: ProbeReport };
  signIn: { baseline: Measured; gatehouse: Measured };
}

interface Row {
  measure: string;
  baseline: string;
  gatehouse: string;
  ratio: string;
  target: string;
  /** Undefined for rows that explain the others and have no target. */
  met?: boolean;
}

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
  const b = { manage: manage.baseline, signIn: signIn.baseline };
  const g = { manage: manage.gatehouse, signIn: signIn.gatehouse };
  const rps = g.manage.load.requestsPerSecond / b.manage.load.requestsPerSecond;
  const p99 = g.manage.load.p99LatencyMs / b.manage.load.p99LatencyMs;
  const signIns = g.signIn.load.requestsPerSecond / bound.signInsPerSecond;
  const lag = g.signIn.probe.eventLoopDelayP99Ms;
  const rss = g.signIn.probe.peakRssBytes / b.signIn.probe.peakRssBytes;
  const pages = (m: Measured) => m.load.responses;
  const successes = (m: Measured) => m.load.successes;
  const cpuRatio = (units: (m: Measured) => number, x: Measured, y: Measured) => fixed(cpuPer(y, units(y)) / cpuPer(x, units(x)));
  return [
    {
      measure: 'Signed-in GET /manage, req/s',
      baseline: fixed(b.manage.load.requestsPerSecond, 0),
      gatehouse: fixed(g.manage.load.requestsPerSecond, 0),
      ratio: fixed(rps),
      target: '≥ 0.5',
      met: rps >= 0.5,
    },
    {
      measure: 'CPU per signed-in GET /manage (ms; explains the row above)',
      baseline: cpuCell(b.manage, pages(b.manage)),
      gatehouse: cpuCell(g.manage, pages(g.manage)),
      ratio: cpuRatio(pages, b.manage, g.manage),
      target: '—',
    },
    {
      measure: 'Signed-in GET /manage, p99 latency (ms)',
      baseline: fixed(b.manage.load.p99LatencyMs, 0),
      gatehouse: fixed(g.manage.load.p99LatencyMs, 0),
      ratio: fixed(p99),
      target: '≤ 2',
      met: p99 <= 2,
    },
    {
      measure: `Password sign-ins/s ÷ argon2 bound (${fixed(bound.signInsPerSecond, 1)}/s = ${bound.cores} cores ÷ ${fixed(bound.medianVerifyMs, 1)} ms)`,
      baseline: fixed(b.signIn.load.requestsPerSecond, 1),
      gatehouse: fixed(g.signIn.load.requestsPerSecond, 1),
      ratio: fixed(signIns),
      target: '≥ 0.9',
      met: signIns >= 0.9,
    },
    {
      measure: `Sign-ins/s ÷ argon2 alone, ${bound.cores} in flight (${fixed(r.argon2Throughput, 1)}/s measured; explains the row above)`,
      baseline: fixed(b.signIn.load.requestsPerSecond / r.argon2Throughput),
      gatehouse: fixed(g.signIn.load.requestsPerSecond / r.argon2Throughput),
      ratio: '—',
      target: '—',
    },
    {
      measure: `CPU per sign-in, argon2 included (ms; one verification alone took ${fixed(bound.medianVerifyMs, 1)})`,
      baseline: cpuCell(b.signIn, successes(b.signIn)),
      gatehouse: cpuCell(g.signIn, successes(g.signIn)),
      ratio: cpuRatio(successes, b.signIn, g.signIn),
      target: '—',
    },
    {
      measure: 'Event-loop delay p99 during sign-ins (ms)',
      baseline: fixed(b.signIn.probe.eventLoopDelayP99Ms, 1),
      gatehouse: fixed(lag, 1),
      ratio: '—',
      target: 'Gatehouse ≤ 20 ms',
      met: lag <= 20,
    },
    {
      measure: 'Event-loop delay p99 with no load at all (ms; the machine alone, explains the row above)',
      baseline: fixed(r.idle.baseline.eventLoopDelayP99Ms, 1),
      gatehouse: fixed(r.idle.gatehouse.eventLoopDelayP99Ms, 1),
      ratio: '—',
      target: '—',
    },
    {
      measure: 'Peak RSS during sign-ins (MiB)',
      baseline: mib(b.signIn.probe.peakRssBytes),
      gatehouse: mib(g.signIn.probe.peakRssBytes),
      ratio: fixed(rss),
      target: '≤ 1.5',
      met: rss <= 1.5,
    },
  ];
}

export function markdownTable(r: BenchResults): string {
  const lines = ['| Measure | Baseline | Gatehouse | Ratio | Target | Met |', '|---|---:|---:|---:|---|---|'];
  for (const row of rows(r)) {
    lines.push(
      `| ${row.measure} | ${row.baseline} | ${row.gatehouse} | ${row.ratio} | ${row.target} | ${row.met === undefined ? '—' : row.met ? 'yes' : '**no**'} |`,
    );
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
  check('Baseline GET /manage', r.manage.baseline);
  check('Gatehouse GET /manage', r.manage.gatehouse);
  check('Baseline sign-ins', r.signIn.baseline);
  check('Gatehouse sign-ins', r.signIn.gatehouse);
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
  ${r.seconds} s of measurement per app in two halves, in the order baseline, Gatehouse, Gatehouse, baseline
- **Apps:** each in its own process, NODE_ENV=production, same Postgres server; Gatehouse = \`src/main.ts\`,
  baseline = \`bench/baseline-app.ts\` (Express 5, express-session memory store, helmet, same EJS pages)

${markdownTable(r)}
${warned.length ? `\n**Warnings:**\n${warned.map((w) => `- ${w}`).join('\n')}\n` : ''}
## How to read this

- Only ratios within one run mean anything (the interleaved order spreads a drift in the
  machine's load over both apps). This machine is shared and noisy: identical runs
  differ by up to 3×, so absolute figures are not comparable between runs or with other machines.
- Sign-ins/s counts only successful sign-ins (303) and is compared with the argon2 bound
  measured in the same run: one argon2id verification at a time (m=19 MiB, t=2, p=1), median
  of ${r.bound.samples} timed before and after the sign-in load, and cores ÷ that time. The
  row below it divides by what argon2 alone achieved with as many verifications in flight as
  cores, measured in the same run: when other work takes the cores, that falls below the
  bound, and sign-ins with it, whatever the app does. The baseline's sign-in column is for reference (it has no
  bound on hashes in flight).
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
