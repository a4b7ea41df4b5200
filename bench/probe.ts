/**
 * Preloaded into each app under test (`node --import ./dist/bench/probe.js …`, compiled by
 * bench/tsconfig.json), so the app measures its own event loop and memory without a single benchmark hook in src/. The
 * runner talks to it over the IPC channel: `reset` starts a measurement window, `report`
 * answers with what was seen since. With `profile` set, `reset` also starts a CPU profile of
 * the window and `report` writes it there (the same format as `node --cpu-prof`, but only the
 * measured window, not start-up or the other app's turn).
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export const PROBE_RESOLUTION_MS = 10;

export interface ProbeReport {
  type: 'report';
  /** Event-loop delay beyond the timer's own interval, over the window. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Highest RSS sampled (every 20 ms) during the window. */
  peakRssBytes: number;
  /** CPU time the whole process (all threads) used in the window: steadier than req/s on a busy machine. */
  cpuMs: number;
  /** The part of it on the main thread (the event loop), where /proc tells; hashing runs elsewhere. */
  mainThreadCpuMs?: number;
}

/** CPU ms of this process's main thread so far, from /proc (Linux); undefined elsewhere. */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
  } catch {
    return undefined;
  }
}

if (process.send) {
  const send = process.send.bind(process);
  const delay = monitorEventLoopDelay({ resolution: PROBE_RESOLUTION_MS });
  delay.enable();
  let peakRss = process.memoryUsage.rss();
  let cpuAtReset = process.cpuUsage();
  let mainAtReset = mainThreadCpuMs();
  // The histogram records each timer interval, resolution included: subtract it to get the lag.
  const lagMs = (ns: number) => Math.max(0, ns / 1e6 - PROBE_RESOLUTION_MS);

  setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20).unref();

  let profiler: Session | undefined;
  async function startProfile() {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  async function stopProfile(file: string) {
    const { profile } = await profiler!.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    profiler!.disconnect();
    profiler = undefined;
  }

  process.on('message', async (message: { type?: string; profile?: string }) => {
    if (message?.type === 'reset') {
      if (message.profile) await startProfile();
      delay.reset();
      peakRss = process.memoryUsage.rss();
      cpuAtReset = process.cpuUsage();
      mainAtReset = mainThreadCpuMs();
      send({ type: 'reset-done' });
    } else if (message?.type === 'report') {
      if (message.profile && profiler) await stopProfile(message.profile);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const cpu = process.cpuUsage(cpuAtReset);
      const main = mainThreadCpuMs();
      const report: ProbeReport = {
        type: 'report',
        eventLoopDelayP99Ms: lagMs(delay.percentile(99)),
        eventLoopDelayMaxMs: lagMs(delay.max),
        peakRssBytes: peakRss,
        cpuMs: (cpu.user + cpu.system) / 1000,
        mainThreadCpuMs: main === undefined || mainAtReset === undefined ? undefined : main - mainAtReset,
      };
      send(report);
    }
  });
  // The channel alone must not keep an app alive after it has been asked to stop.
  process.channel?.unref();
}
