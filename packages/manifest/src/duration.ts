const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** True for Go/Docker style durations: `5s`, `1m30s`, `500ms`, `1h`. */
export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

/** Milliseconds of a duration such as `1m30s`; throws on anything `isDuration` rejects. */
export function parseDuration(text: string): number {
  if (!isDuration(text))
    throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. 5s, 1m30s, 500ms)`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0);
  return total;
}
