/**
 * A token bucket per client (IP address): `burst` requests at once, refilled at `perMinute`. Only
 * requests that make the daemon do new work (look up or resolve a commit it has no answer for) take
 * a token; answers from the cache are free. The table is bounded: the client seen least recently
 * is forgotten first (a forgotten client starts again with a full bucket, which is harmless).
 */
export interface ClientRateLimit {
  /** Takes one token for `client`; returns 0 when granted, else the seconds until one is free. */
  take(client: string): number;
}

export interface ClientRateLimitOptions {
  readonly perMinute: number;
  readonly burst: number;
  /** Clients remembered (default 10,000). */
  readonly maxClients?: number;
  readonly now?: () => number;
}

export function clientRateLimit(options: ClientRateLimitOptions): ClientRateLimit {
  const { perMinute, burst } = options;
  if (!(perMinute > 0) || !(burst >= 1)) throw new RangeError('perMinute must be > 0 and burst >= 1');
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? Date.now;
  const msPerToken = 60_000 / perMinute;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(client) {
      const t = now();
      const bucket = buckets.get(client) ?? { tokens: burst, at: t };
      bucket.tokens = Math.min(burst, bucket.tokens + (t - bucket.at) / msPerToken);
      bucket.at = t;
      buckets.delete(client);
      buckets.set(client, bucket);
      while (buckets.size > maxClients) {
        const oldest = buckets.keys().next().value;
        if (oldest === undefined) break;
        buckets.delete(oldest);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil(((1 - bucket.tokens) * msPerToken) / 1000));
    },
  };
}
