import { describe, expect, it } from 'vitest';
import { QueueFullError, Semaphore } from '../../../src/identity/semaphore.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Semaphore', () => {
  it('runs at most `limit` jobs at once and starts the waiting ones in order', async () => {
    const semaphore = new Semaphore(2);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    let active = 0;
    let max = 0;
    const runs = gates.map((gate, i) =>
      semaphore.run(async () => {
        started.push(i);
        max = Math.max(max, ++active);
        await gate.promise;
        active--;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1].resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0].resolve();
    gates[2].resolve();
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3].resolve();
    gates[4].resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(max).toBe(2);
  });

  it('passes a failure to its caller and frees the slot for the next job', async () => {
    const semaphore = new Semaphore(1);
    const failing = semaphore.run(async () => {
      throw new Error('boom');
    });
    const next = semaphore.run(async () => 'next ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next ran');
  });

  it('starts urgent jobs before normal ones that waited longer', async () => {
    const semaphore = new Semaphore(1);
    const gate = deferred();
    const started: string[] = [];
    const job = (name: string) => async () => {
      started.push(name);
      if (name === 'first') await gate.promise;
    };
    const runs = [
      semaphore.run(job('first')),
      semaphore.run(job('normal 1')),
      semaphore.run(job('normal 2')),
      semaphore.run(job('urgent'), 'urgent'),
    ];
    await tick();
    gate.resolve();
    await Promise.all(runs);
    expect(started).toEqual(['first', 'urgent', 'normal 1', 'normal 2']);
  });

  it('refuses at once a job that would wait longer than maxWaitMs; urgent jobs count only urgent ones ahead', async () => {
    const semaphore = new Semaphore(1, { maxWaitMs: 250, initialJobMs: 100 });
    const gate = deferred();
    const first = semaphore.run(() => gate.promise);
    const queued = [semaphore.run(async () => 'a'), semaphore.run(async () => 'b')]; // would wait 100 and 200 ms
    expect(semaphore.expectedWaitMs('normal')).toBe(300);
    await expect(semaphore.run(async () => 'c')).rejects.toBeInstanceOf(QueueFullError);
    expect(semaphore.expectedWaitMs('urgent')).toBe(100);
    const urgent = semaphore.run(async () => 'urgent', 'urgent');
    gate.resolve();
    await first;
    expect(await Promise.all([...queued, urgent])).toEqual(['a', 'b', 'urgent']);
  });
});
