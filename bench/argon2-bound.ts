import os from 'node:os';
import { performance } from 'node:perf_hooks';
import argon2 from 'argon2';
import { ARGON2_OPTIONS } from '../src/identity/password-hasher.js';

export interface Argon2Bound {
  cores: number;
  medianVerifyMs: number;
  /** The most password sign-ins per second this machine can do: cores ÷ one verification. */
  signInsPerSecond: number;
}

/**
 * Times single argon2id verifications, one at a time, with Gatehouse's parameters. A sign-in
 * is one verification, so cores ÷ its median time is the physical ceiling on sign-ins.
 */
export async function measureArgon2Bound(samples = 21): Promise<Argon2Bound> {
  const hash = await argon2.hash('bench-password', ARGON2_OPTIONS);
  for (let i = 0; i < 3; i++) await argon2.verify(hash, 'bench-password');
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await argon2.verify(hash, 'bench-password');
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const medianVerifyMs = times[Math.floor(times.length / 2)];
  const cores = os.availableParallelism();
  return { cores, medianVerifyMs, signInsPerSecond: cores / (medianVerifyMs / 1000) };
}
