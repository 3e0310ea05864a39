import type { FakeGitlab } from '@stow/fake-gitlab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitlabClient } from './client.js';
import { parseRetryAfter, retryDelay } from './retry.js';
import { fakeRetryEnv, startFake, TOKEN } from './test-support/fixtures.js';

describe('retry policy', () => {
  it('uses full jitter under an exponential, capped ceiling', () => {
    const p = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => retryDelay(a, p, () => 0.999999))).toEqual([99, 199, 399, 799, 999]);
    expect(retryDelay(3, p, () => 0)).toBe(0);
    expect(retryDelay(1, p, () => 0.5, 700)).toBe(700);
    expect(retryDelay(1, p, () => 0.5, 5000)).toBeNull();
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});

describe('client retries against injected faults', () => {
  let fake: FakeGitlab;
  let stop: () => Promise<void>;
  let sha: string;
  beforeAll(async () => {
    ({ fake, cleanup: stop } = await startFake());
    sha = await fake.commitFiles('main', { 'h/stow.yaml': 'a\n' });
  });
  afterEach(() => fake.clearFaults());
  afterAll(async () => stop());

  const client = (retry = { attempts: 4, baseDelayMs: 100, maxDelayMs: 5000 }, timeoutMs = 10_000) => {
    const rec = fakeRetryEnv(0.5);
    return {
      rec,
      c: createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retry, retryEnv: rec.env, timeoutMs }),
    };
  };
  const hits = (fragment: string) => fake.requests.filter((r) => r.path.includes(fragment)).length;

  it('retries 5xx with exponential full-jitter backoff, then succeeds', async () => {
    const { rec, c } = client();
    fake.injectFault({ path: `commits/${sha}`, status: 502, times: 2 });
    const before = hits(`commits/${sha}`);
    expect((await c.getCommit('ops/deployments', sha)).sha).toBe(sha);
    expect(hits(`commits/${sha}`) - before).toBe(3);
    expect(rec.delays).toEqual([50, 100]);
    await c.close();
  });

  it('honours Retry-After on 429', async () => {
    const { rec, c } = client();
    fake.injectFault({ path: 'projects/ops%2Fdeployments', status: 429, retryAfter: 3, times: 1 });
    expect((await c.getProject('ops/deployments')).id).toBe(1);
    expect(rec.delays).toEqual([3000]);
    await c.close();
  });

  it('gives up after the attempts with an error naming endpoint and status', async () => {
    const { rec, c } = client();
    fake.injectFault({ path: 'repository/archive', status: 503, times: 10 });
    const err = await c.downloadArchive('ops/deployments', { sha, path: 'h' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVER_ERROR', status: 503, attempts: 4 });
    expect((err as Error).message).toMatch(
      /^GET \/api\/v4\/projects\/ops%2Fdeployments\/repository\/archive\.tar\.gz: 503 GitLab server error.*gave up after 4 attempts/,
    );
    expect(rec.delays).toHaveLength(3);
    await c.close();
  });

  it('does not wait longer than maxDelayMs for a Retry-After', async () => {
    const { rec, c } = client({ attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 });
    fake.injectFault({ path: 'projects/ops%2Fdeployments', status: 429, retryAfter: 60, times: 5 });
    await expect(c.getProject('ops/deployments')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 60_000,
    });
    expect(rec.delays).toEqual([]);
    await c.close();
  });

  it('retries timeouts (slow answers) and connection resets', async () => {
    const { rec, c } = client(undefined, 300);
    fake.injectFault({ path: `commits/${sha}`, delayMs: 2500, times: 1 });
    fake.injectFault({ path: `commits/${sha}`, reset: true, times: 1 });
    expect((await c.getCommit('ops/deployments', sha)).sha).toBe(sha);
    expect(rec.delays).toHaveLength(2);
    await c.close();
  });

  it('reports a timeout that never clears as TIMEOUT with the endpoint', async () => {
    const { c } = client({ attempts: 2, baseDelayMs: 1, maxDelayMs: 10 }, 200);
    fake.injectFault({ path: `commits/${sha}`, delayMs: 2500, times: 2 });
    const err = await c.getCommit('ops/deployments', sha).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', attempts: 2 });
    expect((err as Error).message).toMatch(
      /^GET \/api\/v4\/projects\/ops%2Fdeployments\/repository\/commits\/[0-9a-f]{40}: timed out/,
    );
    await c.close();
  });

  it('never retries 401, 403 or 404', async () => {
    for (const status of [401, 403, 404]) {
      const { rec, c } = client();
      fake.injectFault({ path: `commits/${sha}`, status, times: 5 });
      const before = hits(`commits/${sha}`);
      await expect(c.getCommit('ops/deployments', sha)).rejects.toMatchObject({ status });
      expect(hits(`commits/${sha}`) - before).toBe(1);
      expect(rec.delays).toEqual([]);
      await c.close();
      fake.clearFaults();
    }
  });

  it('does not apply a client-side archive rate limit (gitbeaker allows 5 a minute)', async () => {
    const { c } = client();
    const { Writable } = await import('node:stream');
    const { pipeline } = await import('node:stream/promises');
    for (let i = 0; i < 8; i += 1) {
      const s = await c.downloadArchive('ops/deployments', { sha, path: 'h' });
      await pipeline(s, new Writable({ write: (_c, _e, cb) => cb() }));
    }
    await c.close();
  }, 20_000);
});
