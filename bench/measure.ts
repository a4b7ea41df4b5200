import path from 'node:path';
import type { AppName, AppUnderTest } from './apps.js';
import type { LoadResult } from './load.js';
import { postgresCpuBetween, postgresCpuMs } from './postgres-cpu.js';
import type { Measured } from './report.js';

export interface MeasureOptions {
  adminUrl: string;
  /** Measured time per app, split over two windows. */
  seconds: number;
  warmupSeconds: number;
  /** Pause after each load, so work the app accepted (queued hashes) cannot spill into the next window. */
  settleMs: number;
  /** Where to write a CPU profile of each window, if anywhere. */
  profileDir?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function window(app: AppUnderTest, label: string, drive: () => Promise<LoadResult>, options: MeasureOptions): Promise<Measured> {
  const profile = options.profileDir && path.join(options.profileDir, `${app.name}-${label}.cpuprofile`);
  const postgresBefore = await postgresCpuMs(options.adminUrl, app.database);
  await app.resetProbe(profile);
  const load = await drive();
  const probe = await app.readProbe(profile);
  const postgresAfter = await postgresCpuMs(options.adminUrl, app.database);
  await sleep(options.settleMs);
  return { load, probe, postgresCpuMs: postgresCpuBetween(postgresBefore, postgresAfter) };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Two windows of one app as one: counts and CPU add up, delays and memory take the worst. */
export function combine([a, b]: [Measured, Measured]): Measured {
  const durationSeconds = a.load.durationSeconds + b.load.durationSeconds;
  const successes = a.load.successes + b.load.successes;
  return {
    load: {
      requestsPerSecond: successes / durationSeconds,
      responses: a.load.responses + b.load.responses,
      p99LatencyMs: (a.load.p99LatencyMs + b.load.p99LatencyMs) / 2,
      successes,
      failures: a.load.failures + b.load.failures,
      durationSeconds,
    },
    probe: {
      type: 'report',
      eventLoopDelayP99Ms: Math.max(a.probe.eventLoopDelayP99Ms, b.probe.eventLoopDelayP99Ms),
      eventLoopDelayMaxMs: Math.max(a.probe.eventLoopDelayMaxMs, b.probe.eventLoopDelayMaxMs),
      peakRssBytes: Math.max(a.probe.peakRssBytes, b.probe.peakRssBytes),
      cpuMs: a.probe.cpuMs + b.probe.cpuMs,
      mainThreadCpuMs:
        a.probe.mainThreadCpuMs === undefined || b.probe.mainThreadCpuMs === undefined
          ? undefined
          : a.probe.mainThreadCpuMs + b.probe.mainThreadCpuMs,
    },
    postgresCpuMs: a.postgresCpuMs === undefined || b.postgresCpuMs === undefined ? undefined : sum([a.postgresCpuMs, b.postgresCpuMs]),
  };
}

/**
 * Measures every app under the same load, after warming each up, in the order given and then
 * back again (baseline, Gatehouse, Better Auth, Better Auth, Gatehouse, baseline), half the time
 * each. Other work on a shared machine comes and goes; in this order a steady drift weighs on
 * all apps alike instead of on whichever happened to run last.
 */
export async function measureAll(
  apps: AppUnderTest[],
  phase: string,
  drive: (app: AppUnderTest, seconds: number) => Promise<LoadResult>,
  options: MeasureOptions,
): Promise<Record<AppName, Measured>> {
  for (const app of apps) {
    await drive(app, options.warmupSeconds);
    await sleep(options.settleMs);
  }
  const half = options.seconds / 2;
  const windows = new Map<AppUnderTest, Measured[]>(apps.map((app) => [app, []]));
  for (const app of [...apps, ...[...apps].reverse()]) {
    const runs = windows.get(app)!;
    runs.push(await window(app, `${phase}-${runs.length + 1}`, () => drive(app, half), options));
  }
  return Object.fromEntries(apps.map((app) => [app.name, combine(windows.get(app) as [Measured, Measured])])) as Record<AppName, Measured>;
}
