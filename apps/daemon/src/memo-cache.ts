/**
 * A bounded memo of async answers keyed by string: the least recently used entry goes first,
 * concurrent calls for one key share one in-flight promise, failures are remembered for
 * `failureTtlMs` (so a broken commit cannot make every badge request download it again), then retried.
 */
export interface MemoCache<T> {
  get(key: string, compute: () => Promise<T>): Promise<T>;
  /** The settled value, if any, without computing it. */
  peek(key: string): T | undefined;
  readonly size: number;
}

type Entry<T> =
  | { readonly kind: 'pending'; readonly promise: Promise<T> }
  | { readonly kind: 'value'; readonly value: T }
  | { readonly kind: 'failure'; readonly error: unknown; readonly until: number };

export function memoCache<T>(options: {
  maxEntries: number;
  failureTtlMs: number;
  now?: () => number;
}): MemoCache<T> {
  const entries = new Map<string, Entry<T>>();
  const now = options.now ?? Date.now;
  const touch = (key: string, entry: Entry<T>) => {
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > options.maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
  };
  return {
    get size() {
      return entries.size;
    },
    peek(key) {
      const entry = entries.get(key);
      return entry?.kind === 'value' ? entry.value : undefined;
    },
    get(key, compute) {
      const entry = entries.get(key);
      if (entry?.kind === 'value') {
        touch(key, entry);
        return Promise.resolve(entry.value);
      }
      if (entry?.kind === 'pending') return entry.promise;
      if (entry?.kind === 'failure' && entry.until > now()) return Promise.reject(entry.error);
      const promise = compute().then(
        (value) => {
          if (entries.get(key)?.kind === 'pending') touch(key, { kind: 'value', value });
          return value;
        },
        (error: unknown) => {
          if (entries.get(key)?.kind === 'pending')
            touch(key, { kind: 'failure', error, until: now() + options.failureTtlMs });
          throw error;
        },
      );
      touch(key, { kind: 'pending', promise });
      return promise;
    },
  };
}
