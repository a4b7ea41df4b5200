/** Urgent jobs wait only behind other urgent jobs (a sign-in's check before a new account's hash). */
export type Priority = 'urgent' | 'normal';

/** A job refused instead of queued: it would have waited longer than the bound. */
export class QueueFullError extends Error {
  constructor(readonly expectedWaitMs: number) {
    super(`the queue is full (expected wait ${Math.round(expectedWaitMs)} ms)`);
    this.name = 'QueueFullError';
  }
}

export interface SemaphoreOptions {
  /** Refuse a job at once (QueueFullError) when it would wait longer than this. */
  maxWaitMs?: number;
  /** The first guess of how long a job takes, until jobs have been measured. */
  initialJobMs?: number;
}

/**
 * Lets at most `limit` async jobs run at once; the rest wait, urgent ones first, each kind in
 * FIFO order. With `maxWaitMs`, a job that would wait longer than that is refused at once
 * instead of joining a queue without end: the wait is estimated from the jobs ahead of it and
 * a moving average of how long jobs took, so it follows the machine and its load.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: Record<Priority, Array<() => void>> = { urgent: [], normal: [] };
  private averageJobMs: number;

  constructor(
    private readonly limit: number,
    private readonly options: SemaphoreOptions = {},
  ) {
    this.averageJobMs = options.initialJobMs ?? 50;
  }

  /** How long a job queued now would wait: the jobs ahead of it, `limit` at a time. */
  expectedWaitMs(priority: Priority = 'normal'): number {
    if (this.active < this.limit) return 0;
    const ahead = this.waiting.urgent.length + (priority === 'normal' ? this.waiting.normal.length : 0);
    return Math.ceil((ahead + 1) / this.limit) * this.averageJobMs;
  }

  async run<T>(job: () => Promise<T>, priority: Priority = 'normal'): Promise<T> {
    if (this.active >= this.limit) {
      const wait = this.expectedWaitMs(priority);
      if (this.options.maxWaitMs !== undefined && wait > this.options.maxWaitMs) throw new QueueFullError(wait);
      await new Promise<void>((resolve) => this.waiting[priority].push(resolve));
    } else this.active++;
    const started = performance.now();
    try {
      return await job();
    } finally {
      this.averageJobMs = 0.8 * this.averageJobMs + 0.2 * (performance.now() - started);
      const next = this.waiting.urgent.shift() ?? this.waiting.normal.shift();
      // Hand the slot straight to the next waiter, so `active` never dips and overshoots.
      if (next) next();
      else this.active--;
    }
  }
}
