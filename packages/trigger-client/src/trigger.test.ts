import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { TriggerError } from './errors.js';
import { backoffDelay } from './retry.js';
import { json, scriptedServer, selfSignedCert } from './test-support/https-server.js';
import { daemonUrl, requestDaemon, triggerDaemon, triggerUrl } from './trigger.js';

const SHA = 'a1b2c3d'.padEnd(40, '0');
let tls: { cert: string; key: string };
beforeAll(async () => {
  tls = selfSignedCert();
});

/** Injected dice and clock: records every wait instead of sleeping. */
function fakeEnv(randoms: number[] = [0.5]) {
  const sleeps: number[] = [];
  let i = 0;
  return {
    sleeps,
    retryEnv: {
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      random: () => randoms[i++ % randoms.length] ?? 0.5,
      now: () => Date.parse('2026-04-29T12:00:00Z'),
    },
  };
}

async function caught(promise: Promise<unknown>): Promise<TriggerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TriggerError) return error;
    throw error;
  }
  throw new Error('expected a TriggerError');
}

describe('triggerUrl', () => {
  it('keeps a base path, normalises slashes, lowercases the sha', () => {
    expect(triggerUrl('https://h:17403', SHA.toUpperCase()).href).toBe(
      `https://h:17403/trigger?head_hash=${SHA}`,
    );
    expect(triggerUrl('https://h/stow/', SHA).href).toBe(`https://h/stow/trigger?head_hash=${SHA}`);
  });
  it('refuses http, junk and bad shas', () => {
    expect(() => triggerUrl('http://h:17403/', SHA)).toThrow(/must be https/);
    expect(() => triggerUrl('not a url', SHA)).toThrow(/is not a URL/);
    expect(() => triggerUrl('https://h/', 'xyz')).toThrow(/is not a commit sha/);
  });
});

describe('requestDaemon', () => {
  it('GETs any path of a daemon, retrying a 503, and reads up to maxBodyBytes', async () => {
    const big = { entries: 'x'.repeat(100_000) };
    const srv = await scriptedServer(tls, (n, _req, res) =>
      n === 1 ? json(res, 503, {}) : json(res, 200, big),
    );
    const env = fakeEnv();
    try {
      const url = daemonUrl(`${srv.url}stow`, 'history');
      url.searchParams.set('limit', '5');
      const result = await requestDaemon({
        url,
        method: 'GET',
        refused: 'the history request',
        ca: tls.cert,
        maxBodyBytes: 1024 * 1024,
        retryEnv: env.retryEnv,
      });
      expect(result).toMatchObject({ status: 200, attempts: 2, body: big });
      expect(srv.seen.map((r) => [r.method, r.url, r.authorization])).toEqual([
        ['GET', '/stow/history?limit=5', undefined],
        ['GET', '/stow/history?limit=5', undefined],
      ]);
    } finally {
      await srv.close();
    }
  });

  it('a final 4xx names the method, the URL and what was refused, never the token', async () => {
    const srv = await scriptedServer(tls, (_n, _req, res) =>
      json(res, 401, { error: 'missing or wrong trigger token' }),
    );
    try {
      const error = await caught(
        requestDaemon({
          url: daemonUrl(srv.url, 'history/0a1b2c3d4e5f/logs'),
          method: 'GET',
          refused: 'the logs request',
          token: 'logs-secret',
          ca: tls.cert,
        }),
      );
      expect(error).toMatchObject({ code: 'REJECTED', status: 401, attempts: 1 });
      expect(error.message).toBe(
        `GET ${srv.url}history/0a1b2c3d4e5f/logs: the daemon refused the logs request: HTTP 401: missing or wrong trigger token (attempt 1; not retried)`,
      );
      expect(srv.seen[0]?.authorization).toBe('Bearer logs-secret');
    } finally {
      await srv.close();
    }
  });
});

describe('backoffDelay', () => {
  const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  it('is full jitter under an exponential ceiling capped at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.25)).toBe(100);
  });
  it('honours Retry-After up to maxDelayMs and gives up beyond', () => {
    expect(backoffDelay(1, policy, () => 0.5, 700)).toBe(700);
    expect(backoffDelay(1, policy, () => 0.5, 1001)).toBeNull();
  });
});

describe('triggerDaemon against a local HTTPS server', () => {
  it('POSTs /trigger?head_hash= with the Bearer token and returns the 202 answer', async () => {
    const srv = await scriptedServer(tls, (_n, _req, res) =>
      json(res, 202, { head_hash: SHA, state: 'queued' }),
    );
    try {
      const result = await triggerDaemon({
        baseUrl: srv.url,
        headHash: SHA,
        token: 'trig-secret',
        ca: tls.cert,
      });
      expect(result).toMatchObject({ status: 202, attempts: 1, body: { state: 'queued' } });
      expect(srv.seen).toEqual([
        { method: 'POST', url: `/trigger?head_hash=${SHA}`, authorization: 'Bearer trig-secret' },
      ]);
    } finally {
      await srv.close();
    }
  });

  it('retries 5xx with jittered, bounded, growing delays, then succeeds', async () => {
    const srv = await scriptedServer(tls, (n, _req, res) =>
      n <= 3 ? json(res, n === 2 ? 500 : 503, { error: 'busy' }) : json(res, 202, {}),
    );
    const env = fakeEnv([0.5, 0.9, 0.1]);
    try {
      const result = await triggerDaemon({
        baseUrl: srv.url,
        headHash: SHA,
        ca: tls.cert,
        retry: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 3000 },
        retryEnv: env.retryEnv,
      });
      expect(result.attempts).toBe(4);
      expect(srv.seen).toHaveLength(4);
      // ceilings 1000, 2000, 3000 (capped): random * ceiling
      expect(env.sleeps).toEqual([500, 1800, 300]);
    } finally {
      await srv.close();
    }
  });

  it('honours Retry-After on 429 (seconds and HTTP date)', async () => {
    const srv = await scriptedServer(tls, (n, _req, res) =>
      n === 1
        ? json(res, 429, { error: 'slow down' }, { 'retry-after': '2' })
        : n === 2
          ? json(res, 429, {}, { 'retry-after': 'Wed, 29 Apr 2026 12:00:05 GMT' })
          : json(res, 202, {}),
    );
    const env = fakeEnv([0]);
    try {
      const result = await triggerDaemon({
        baseUrl: srv.url,
        headHash: SHA,
        ca: tls.cert,
        retryEnv: env.retryEnv,
      });
      expect(result.attempts).toBe(3);
      expect(env.sleeps).toEqual([2000, 5000]);
    } finally {
      await srv.close();
    }
  });

  it('gives up at once when Retry-After exceeds the maximum delay', async () => {
    const srv = await scriptedServer(tls, (_n, _req, res) => json(res, 429, {}, { 'retry-after': '120' }));
    const env = fakeEnv();
    try {
      const error = await caught(
        triggerDaemon({
          baseUrl: srv.url,
          headHash: SHA,
          ca: tls.cert,
          retryEnv: env.retryEnv,
          retry: { maxDelayMs: 30_000 },
        }),
      );
      expect(error.code).toBe('GAVE_UP');
      expect(error.message).toMatch(/after 120 s, more than the 30 s maximum delay/);
      expect(srv.seen).toHaveLength(1);
      expect(env.sleeps).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  it.each([400, 401, 404, 422])('does not retry %i', async (status) => {
    const srv = await scriptedServer(tls, (_n, _req, res) =>
      json(res, status, { error: 'head_hash is not on the default branch' }),
    );
    const env = fakeEnv();
    try {
      const error = await caught(
        triggerDaemon({
          baseUrl: srv.url,
          headHash: SHA,
          token: 'trig-secret',
          ca: tls.cert,
          retryEnv: env.retryEnv,
        }),
      );
      expect(error).toMatchObject({ code: 'REJECTED', status, attempts: 1 });
      expect(error.message).toBe(
        `POST ${srv.url}trigger?head_hash=${SHA}: the daemon refused the trigger: HTTP ${status}: head_hash is not on the default branch (attempt 1; not retried)`,
      );
      expect(error.message).not.toContain('trig-secret');
      expect(srv.seen).toHaveLength(1);
      expect(env.sleeps).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  it('retries connection errors and names URL, last failure and attempts when it gives up', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const env = fakeEnv([0.5]);
    const error = await caught(
      triggerDaemon({
        baseUrl: `https://127.0.0.1:${port}`,
        headHash: SHA,
        retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
        retryEnv: env.retryEnv,
      }),
    );
    expect(error.code).toBe('GAVE_UP');
    expect(error.message).toMatch(
      new RegExp(
        `^POST https://127\\.0\\.0\\.1:${port}/trigger\\?head_hash=${SHA}: gave up after 3 attempts; last: connection failed: .*ECONNREFUSED`,
      ),
    );
    expect(env.sleeps).toEqual([5, 10]);
  });

  it('retries a daemon that does not answer in time', async () => {
    const srv = await scriptedServer(tls, (n, _req, res) => {
      if (n > 1) json(res, 202, {});
      // the first request never gets an answer
    });
    try {
      const result = await triggerDaemon({
        baseUrl: srv.url,
        headHash: SHA,
        ca: tls.cert,
        timeoutMs: 300,
        retryEnv: fakeEnv().retryEnv,
      });
      expect(result.attempts).toBe(2);
    } finally {
      await srv.close();
    }
  });

  it('an untrusted certificate is a final, clear error pointing at STOW_CACERT', async () => {
    const srv = await scriptedServer(tls, (_n, _req, res) => json(res, 202, {}));
    try {
      const error = await caught(
        triggerDaemon({ baseUrl: srv.url, headHash: SHA, retryEnv: fakeEnv().retryEnv }),
      );
      expect(error.code).toBe('REJECTED');
      expect(error.message).toMatch(/TLS certificate is not trusted .*set STOW_CACERT/);
      expect(srv.seen).toHaveLength(0);
    } finally {
      await srv.close();
    }
  });
});
