import { DockerPlannerError } from './errors.js';

export type Settled<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

/** The outcome of `run`, never a rejection. */
export async function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Runs `task` over every item with at most `limit` running at once and waits for ALL of them, failed or
 * not: a failure never leaves other operations running unobserved. Results are in the order of `items`.
 */
export async function settleBounded<I, T>(
  items: readonly I[],
  limit: number,
  task: (item: I) => Promise<T>,
): Promise<Settled<T>[]> {
  const results: Settled<T>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await settle(() => task(items[index] as I));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The values when every task succeeded; otherwise throws: the one error as it is, or one
 * DockerPlannerError naming every failure (`what`: e.g. "starts") with the first failure's code and
 * context, and all errors as its cause.
 */
export function valuesOrThrow<T>(settled: readonly Settled<T>[], what: string): T[] {
  const errors = settled.flatMap((s) => (s.ok ? [] : [s.error]));
  const [first] = errors;
  if (first === undefined) return settled.map((s) => (s as { value: T }).value);
  if (errors.length === 1) throw first;
  const messages = errors.map((e) => (e instanceof Error ? e.message : String(e)));
  const head = first instanceof DockerPlannerError ? first : undefined;
  throw new DockerPlannerError(
    head?.code ?? 'ENGINE_ERROR',
    `${errors.length} of ${settled.length} ${what} failed: ${messages.join('; ')}`,
    {
      ...(head?.container === undefined ? {} : { container: head.container }),
      ...(head?.image === undefined ? {} : { image: head.image }),
      cause: new AggregateError(errors, `${what} failed`),
    },
  );
}
