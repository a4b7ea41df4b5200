import path from 'node:path';
import type { AppUnderTest } from './apps.js';
import type { LoadResult } from './load.js';
import { postgresCpuBetween, postgresCpuMs } from './postgres-cpu.js';
import type { Measured } from './report.js';

export interface MeasureOptions {
  adminUrl: string;
  databaseName: string;
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
  const postgresBefore = await postgresCpuMs(options.adminUrl, options.databaseName);
  await app.resetProbe(profile);
  const load = await drive();
  const probe = await app.readProbe(profile);
  const postgresAfter = await postgresCpuMs(options.adminUrl, options.databaseName);
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
 * Measures both apps under the same load in the order baseline, Gatehouse, Gatehouse,
 * baseline (half the time each), after warming both up. Other work on a shared machine comes
 * and goes; in this order a steady drift weighs on both apps alike instead of on whichever
 * happened to run second.
 */
export async function measurePair(
  baseline: AppUnderTest,
  gatehouse: AppUnderTest,
  phase: string,
  drive: (app: AppUnderTest, seconds: number) => Promise<LoadResult>,
  options: MeasureOptions,
): Promise<{ baseline: Measured; gatehouse: Measured }> {
  for (const app of [baseline, gatehouse]) {
    await drive(app, options.warmupSeconds);
    await sleep(options.settleMs);
  }
  const half = options.seconds / 2;
  const order = [baseline, gatehouse, gatehouse, baseline];
  const windows = new Map<AppUnderTest, Measured[]>([
    [baseline, []],
    [gatehouse, []],
  ]);
  for (const app of order) {
    const runs = windows.get(app)!;
    runs.push(await window(app, `${phase}-${runs.length + 1}`, () => drive(app, half), options));
  }
  return {
    baseline: combine(windows.get(baseline) as [Measured, Measured]),
    gatehouse: combine(windows.get(gatehouse) as [Measured, Measured]),
  };
}
