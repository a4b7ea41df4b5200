import os from 'node:os';
import { performance } from 'node:perf_hooks';
import argon2 from 'argon2';
import { ARGON2_OPTIONS } from '../src/identity/password-hasher.js';

export interface Argon2Bound {
  cores: number;
  samples: number;
  medianVerifyMs: number;
  /** The most password sign-ins per second this machine can do: cores ÷ one verification. */
  signInsPerSecond: number;
}

const hashOnce = () => argon2.hash('bench-password', ARGON2_OPTIONS);

/** Times single argon2id verifications with Gatehouse's parameters, one at a time. */
export async function timeArgon2Verifications(samples = 15): Promise<number[]> {
  const hash = await hashOnce();
  for (let i = 0; i < 2; i++) await argon2.verify(hash, 'bench-password');
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await argon2.verify(hash, 'bench-password');
    times.push(performance.now() - start);
  }
  return times;
}

/** A sign-in is one verification, so cores ÷ its median time is the ceiling on sign-ins. */
export function argon2Bound(times: number[]): Argon2Bound {
  const sorted = [...times].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const medianVerifyMs = sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
  const cores = os.availableParallelism();
  return { cores, samples: sorted.length, medianVerifyMs, signInsPerSecond: cores / (medianVerifyMs / 1000) };
}

/**
 * Verifications per second with `inFlight` running at once and nothing else: what the machine
 * actually gives argon2 right now. When other work takes cores, this falls below the bound,
 * and so must sign-ins; it tells a slow app from a busy machine.
 */
export async function measureArgon2Throughput(inFlight: number, milliseconds = 2_000): Promise<number> {
  const hash = await hashOnce();
  let done = 0;
  const start = performance.now();
  const end = start + milliseconds;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await argon2.verify(hash, 'bench-password');
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}
