/**
 * At most `concurrency` jobs run, at most `queueLength` wait; beyond that `run` refuses at once
 * (`hasRoom()` says so beforehand), so a flood of requests can never pile up downloads.
 */
export interface BoundedWork {
  hasRoom(): boolean;
  /** Runs `job` when a slot frees up; rejects with `onFull()` when running and waiting are at their bound. */
  run<T>(job: () => Promise<T>): Promise<T>;
  readonly running: number;
  readonly waiting: number;
}

export function boundedWork(options: {
  concurrency: number;
  queueLength: number;
  onFull: () => Error;
}): BoundedWork {
  const { concurrency, queueLength } = options;
  if (!(concurrency >= 1) || !(queueLength >= 0))
    throw new RangeError('concurrency must be >= 1 and queueLength >= 0');
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    running -= 1;
    const next = waiting.shift();
    if (next) {
      running += 1;
      next();
    }
  };
  const hasRoom = () => running < concurrency || waiting.length < queueLength;
  return {
    hasRoom,
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
    async run(job) {
      if (running < concurrency) running += 1;
      else if (waiting.length < queueLength) await new Promise<void>((resolve) => waiting.push(resolve));
      else throw options.onFull();
      try {
        return await job();
      } finally {
        release();
      }
    },
  };
}
