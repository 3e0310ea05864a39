/**
 * What a bounded read of the engine or the history produced for one page: the value, or why there is
 * none. Never the error's message: the page is public and a message may name internals.
 */
export type Fetched<T> =
  | { readonly kind: 'ok'; readonly value: T }
  /** It did not answer within the page's time bound (it may still answer for a later page). */
  | { readonly kind: 'timeout' }
  /** It failed; `code` is the error's stable code (ENGINE_UNREACHABLE...) or ERROR. */
  | { readonly kind: 'failed'; readonly code: string }
  /** The daemon has no such source (a backend without an engine or without a history). */
  | { readonly kind: 'absent' };

export interface FreshReadOptions {
  /** How long one answer (a failure too) serves every page. */
  readonly ttlMs: number;
  /** How long a page waits for it. */
  readonly timeoutMs: number;
  readonly now?: () => number;
  /** Told once per failed read (not once per page), with the error. */
  readonly onFailure?: (error: unknown) => void;
}

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The error's stable code when it has one, else ERROR. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CODE.test(code) ? code : 'ERROR';
}

/**
 * `read` for pages that may come 10,000 times a minute: at most one read in flight, its answer
 * (or failure) shared for `ttlMs`, and no page waits longer than `timeoutMs` for it. A read that
 * hangs holds no page: pages in the meantime get `timeout` and start no new read.
 */
export function freshRead<T>(read: () => Promise<T>, options: FreshReadOptions): () => Promise<Fetched<T>> {
  const now = options.now ?? Date.now;
  let answered: { readonly at: number; readonly value: Fetched<T> } | undefined;
  let inFlight: Promise<Fetched<T>> | undefined;
  const start = () =>
    read()
      .then(
        (value): Fetched<T> => ({ kind: 'ok', value }),
        (error: unknown): Fetched<T> => {
          options.onFailure?.(error);
          return { kind: 'failed', code: errorCode(error) };
        },
      )
      .then((value) => {
        answered = { at: now(), value };
        inFlight = undefined;
        return value;
      });
  return () => {
    if (answered && now() - answered.at < options.ttlMs) return Promise.resolve(answered.value);
    inFlight ??= start();
    return within(inFlight, options.timeoutMs);
  };
}

function within<T>(answer: Promise<Fetched<T>>, ms: number): Promise<Fetched<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Fetched<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), ms);
    timer.unref();
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}
