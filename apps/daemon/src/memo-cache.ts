/**
 * A bounded memo of async answers keyed by string: the least recently used entry goes first,
 * concurrent calls for one key share one in-flight promise, failures are remembered for
 * `failureTtlMs` (so a broken commit cannot make every badge request download it again), then retried.
 */
export interface MemoCache<T> {
  get(key: string, compute: () => Promise<T>): Promise<T>;
  /** The settled value, if any, without computing it. */
  peek(key: string): T | undefined;
  /** Whether `get(key)` would answer without computing (a value, one in flight, or a fresh failure). */
  has(key: string): boolean;
  /** Stores a value learnt elsewhere (commits are immutable: a value never goes stale). */
  set(key: string, value: T): void;
  readonly size: number;
}

type Entry<T> =
  | { readonly kind: 'pending'; readonly promise: Promise<T> }
  | { readonly kind: 'value'; readonly value: T }
  | { readonly kind: 'failure'; readonly error: unknown; readonly until: number };

export function memoCache<T>(options: {
  maxEntries: number;
  /** How long a failure is remembered; a function lets some failures (a 404) live longer than others. */
  failureTtlMs: number | ((error: unknown) => number);
  now?: () => number;
}): MemoCache<T> {
  const ttlOf = (error: unknown) =>
    typeof options.failureTtlMs === 'function' ? options.failureTtlMs(error) : options.failureTtlMs;
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
    has(key) {
      const entry = entries.get(key);
      return entry !== undefined && (entry.kind !== 'failure' || entry.until > now());
    },
    set(key, value) {
      touch(key, { kind: 'value', value });
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
            touch(key, { kind: 'failure', error, until: now() + ttlOf(error) });
          throw error;
        },
      );
      touch(key, { kind: 'pending', promise });
      return promise;
    },
  };
}
