/** Work the daemon does after a reconcile has moved on (GitLab reports, notifications). */
export interface BackgroundQueue {
  /** Queues `task`; when `maxQueued` tasks already wait, `task` is dropped (onDrop is told). */
  push(task: () => Promise<void>): void;
  /** Tasks waiting or running. */
  readonly size: number;
  /** Resolves once nothing waits or runs. */
  idle(): Promise<void>;
}

/**
 * A bounded queue that runs one task at a time, in order, never throwing into the caller: a slow
 * receiver holds back only the tasks behind it, never a reconcile, and memory stays bounded.
 */
export function backgroundQueue(options: { maxQueued: number; onDrop(): void }): BackgroundQueue {
  let size = 0;
  let tail: Promise<void> = Promise.resolve();
  return {
    push(task) {
      if (size >= options.maxQueued) {
        options.onDrop();
        return;
      }
      size += 1;
      tail = tail
        .then(task)
        .catch(() => undefined) // tasks log their own failures
        .finally(() => {
          size -= 1;
        });
    },
    get size() {
      return size;
    },
    async idle() {
      while (size > 0) await tail;
    },
  };
}
