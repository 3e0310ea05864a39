import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitlabClient } from './client.js';
import { createGitlabSource } from './gitlab-source.js';
import { createPacer } from './pacer.js';
import { RATE_LIMIT_WINDOW_MS, rateLimitWindowDelay } from './retry.js';
import { fakeRetryEnv, startFake, TOKEN } from './test-support/fixtures.js';

/** A virtual clock: sleeping advances it at once; every wait is recorded. */
function virtualClock(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    env: {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      random: () => 0.5,
    },
  };
}

const archiveHits = (fake: { requests: Array<{ path: string; status: number }> }) =>
  fake.requests.filter((r) => r.path.includes('repository/archive'));

describe('GitLab rate limits', () => {
  it('a 429 without Retry-After waits for the next window (one minute plus jitter), not seconds', () => {
    expect(rateLimitWindowDelay(() => 0)).toBe(RATE_LIMIT_WINDOW_MS);
    expect(rateLimitWindowDelay(() => 0.999)).toBeGreaterThan(RATE_LIMIT_WINDOW_MS);
    expect(rateLimitWindowDelay(() => 0.999)).toBeLessThanOrEqual(RATE_LIMIT_WINDOW_MS + 5_000);
  });

  it("the client retries the archive limit's 429 after a window and then gets the archive", async () => {
    const { fake, cleanup } = await startFake({ archiveLimit: { perMinute: 2, windowMs: 300 } });
    // Records the wait asked for; really sleeps only past the fake's short window.
    const delays: number[] = [];
    const env = {
      now: Date.now,
      random: () => 0.5,
      sleep: (ms: number) => {
        delays.push(ms);
        return new Promise<void>((resolve) => setTimeout(resolve, 350));
      },
    };
    const client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retryEnv: env });
    try {
      const sha = await fake.commitFiles('main', { 'h/stow.yaml': 'a\n' });
      for (let i = 0; i < 3; i++) {
        const stream = await client.downloadArchive(1, { sha, path: 'h' });
        for await (const _ of stream) {
          // drain
        }
      }
      expect(archiveHits(fake).map((r) => r.status)).toEqual([200, 200, 429, 200]);
      expect(delays).toEqual([rateLimitWindowDelay(() => 0.5)]);
    } finally {
      await client.close();
      await cleanup();
    }
  });

  it('the pacer hands out at most N turns in any minute, in order', async () => {
    const clock = virtualClock();
    const pacer = createPacer(5, clock.env);
    const at: number[] = [];
    await Promise.all(Array.from({ length: 11 }, () => pacer.turn().then(() => at.push(clock.env.now()))));
    const start = 1_000_000;
    expect(at.slice(0, 5)).toEqual(Array(5).fill(start));
    expect(at.slice(5, 10)).toEqual(Array(5).fill(start + RATE_LIMIT_WINDOW_MS));
    expect(at[10]).toBe(start + 2 * RATE_LIMIT_WINDOW_MS);
    expect(() => createPacer(0, clock.env)).toThrow(/positive integer/);
    expect(() => createPacer(1.5, clock.env)).toThrow(/positive integer/);
  });

  it('a paced source never meets the archive limit: the sixth download waits its turn', async () => {
    const { fake, dir, cleanup } = await startFake({ archiveLimit: { perMinute: 5 } });
    const clock = virtualClock();
    const client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retryEnv: clock.env });
    try {
      const sha = await fake.commitFiles('main', { 'h/stow.yaml': 'a\n' });
      const source = createGitlabSource({
        client,
        project: 1,
        subfolder: 'h',
        retryEnv: clock.env,
        archivesPerMinute: 5,
      });
      for (let i = 0; i < 5; i++) await source.fetchSubfolder(sha, join(dir, `s${i}`));
      expect(clock.sleeps).toEqual([]);
      // The sixth waits a minute on the pacer's clock; the fake's real window still counts 5, so an
      // unpaced sixth request would have been refused. Lift the limit to let the paced one through.
      fake.setArchiveLimit(null);
      await source.fetchSubfolder(sha, join(dir, 's5'));
      expect(clock.sleeps).toEqual([RATE_LIMIT_WINDOW_MS]);
      expect(archiveHits(fake).every((r) => r.status === 200)).toBe(true);
    } finally {
      await client.close();
      await cleanup();
    }
  });
});

describe('GitLab source: empty and short archives', () => {
  it('a subfolder the commit does not have: terminal NOT_FOUND, one archive request, no retries', async () => {
    const { fake, dir, cleanup } = await startFake();
    const rec = fakeRetryEnv();
    const client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retryEnv: rec.env });
    try {
      const sha = await fake.commitFiles('main', { 'other/stow.yaml': 'a\n' });
      const source = createGitlabSource({ client, project: 1, subfolder: 'h', retryEnv: rec.env });
      const err = await source.fetchSubfolder(sha, join(dir, 'staging')).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'NOT_FOUND',
        message: `subfolder h does not exist at ${sha}`,
        transient: false,
      });
      expect(archiveHits(fake)).toHaveLength(1);
      expect(rec.delays).toEqual([]);
    } finally {
      await client.close();
      await cleanup();
    }
  });

  it('a 200 archive that ends early (Gitaly failing mid-stream) is retried with a fresh download', async () => {
    const { fake, dir, cleanup } = await startFake();
    const rec = fakeRetryEnv();
    const client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retryEnv: rec.env });
    try {
      const big = randomBytes(256 * 1024).toString('base64');
      const sha = await fake.commitFiles('main', { 'h/stow.yaml': 'a\n', 'h/big.txt': big });
      fake.injectFault({ path: 'repository/archive', endAfterBytes: 10_000, times: 1 });
      const source = createGitlabSource({ client, project: 1, subfolder: 'h', retryEnv: rec.env });
      await source.fetchSubfolder(sha, join(dir, 'staging'));
      expect(await readFile(join(dir, 'staging', 'big.txt'), 'utf8')).toBe(big);
      expect(archiveHits(fake).map((r) => r.status)).toEqual([200, 200]);
      expect(rec.delays).toHaveLength(1);

      fake.injectFault({ path: 'repository/archive', endAfterBytes: 10_000, times: 5 });
      const err = await source.fetchSubfolder(sha, join(dir, 'again')).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'SERVER_ERROR', transient: true });
      expect((err as Error).message).toMatch(/archive of h at [0-9a-f]{40} ended early/);
    } finally {
      await client.close();
      await cleanup();
    }
  });

  it('lists a subfolder of more than one page of the tree API', async () => {
    const { fake, cleanup } = await startFake();
    const client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retryEnv: fakeRetryEnv().env });
    try {
      const files = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`h/f/${i}.txt`, `${i}\n`]));
      const sha = await fake.commitFiles('main', { ...files, 'h/stow.yaml': 'a\n' });
      const source = createGitlabSource({ client, project: 1, subfolder: 'h' });
      expect(await source.listSubfolder(sha)).toHaveLength(131);
      expect(fake.requests.filter((r) => r.path.endsWith('repository/tree')).length).toBeGreaterThanOrEqual(
        2,
      );
    } finally {
      await client.close();
      await cleanup();
    }
  });
});
