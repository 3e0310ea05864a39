import { describe, expect, it } from 'vitest';
import { DaemonCore } from './daemon-core.js';
import { silentLogger } from './logger.js';
import { buildTestApp } from './test-support/build-test-app.js';
import { FakeBackend, hash, sha } from './test-support/fake-backend.js';

/** `n` distinct commits, each with its own deployment. */
function manyCommits(n: number): { backend: FakeBackend; shas: string[] } {
  const shas = Array.from({ length: n }, (_, i) => i.toString(16).padStart(40, 'c'));
  const commits = Object.fromEntries(
    shas.map((s, i) => [s, { deploymentHash: i.toString(16).padStart(64, 'd') }]),
  );
  return { backend: new FakeBackend(commits, shas[0] ?? ''), shas };
}

/** Waits (bounded) until `condition` holds: background work finishing, not a timing assertion. */
async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never: ${what}`);
}

describe('/status and /gitlab.svg never wait on a download', () => {
  it('a commit not resolved yet is pending (Retry-After, grey badge, self-refreshing page), then its real state', async () => {
    const backend = new FakeBackend({ [sha('1')]: { deploymentHash: hash('a') } }, sha('1'));
    backend.runningDeployment = { deploymentHash: hash('a'), gitRevision: sha('1'), deploymentName: 'web' };
    const release = backend.holdResolutions();
    const { app } = await buildTestApp(backend, { core: { answerWithinMs: 50 } });
    try {
      const status = await app.inject({ url: `/status?head_hash=${sha('1')}` });
      expect(status.statusCode).toBe(200);
      expect(status.headers['retry-after']).toBe('2');
      expect(status.json()).toMatchObject({
        head_hash: sha('1'),
        state: 'pending',
        expected_deployment_hash: null,
      });
      const badge = await app.inject({ url: `/gitlab.svg?git_hash=${sha('1').slice(0, 7)}` });
      expect(badge.statusCode).toBe(200);
      expect(badge.headers['x-stow-state']).toBe('pending');
      expect(badge.headers['retry-after']).toBe('2');
      expect(badge.body).toContain('#9f9f9f');
      const page = await app.inject({
        url: `/status?head_hash=${sha('1')}`,
        headers: { accept: 'text/html' },
      });
      expect(page.body).toMatch(/<meta http-equiv="refresh" content="\d+">/);
      expect(backend.resolveDeploymentCalls).toBe(1); // three requests, one resolution in flight
      release();
      await eventually(
        async () => (await app.inject({ url: `/status?head_hash=${sha('1')}` })).json().state === 'running',
        'running',
      );
      const done = await app.inject({
        url: `/status?head_hash=${sha('1')}`,
        headers: { accept: 'text/html' },
      });
      expect(done.headers['retry-after']).toBeUndefined();
      expect(done.body).not.toContain('http-equiv="refresh"');
    } finally {
      await app.close();
    }
  });

  it('GitLab refusing the download for its rate limit leaves the commit pending, never error', async () => {
    const backend = new FakeBackend({ [sha('1')]: { deploymentHash: hash('a') } }, sha('1'));
    const gitlab429 = Object.assign(new Error('429 rate limited by GitLab'), { code: 'RATE_LIMITED' });
    backend.resolveError = new Error('fetch failed', { cause: gitlab429 });
    const core = new DaemonCore({ backend, logger: silentLogger, runningTtlMs: 0 });
    expect((await core.status(sha('1'))).state).toBe('pending');
    backend.resolveError = new Error('stow.yaml:3: containers: required');
    const other = new DaemonCore({ backend, logger: silentLogger, runningTtlMs: 0 });
    expect(await other.status(sha('1'))).toMatchObject({
      state: 'error',
      error: expect.stringContaining('stow.yaml:3'),
    });
  });
});

describe('bounded commit resolution (an open port that cannot be exhausted)', () => {
  it('300 distinct commits from 300 clients: at most 2 resolutions at once, 8 waiting, the rest 503 with Retry-After', async () => {
    const { backend, shas } = manyCommits(300);
    const release = backend.holdResolutions();
    const { app, core } = await buildTestApp(backend, { core: { answerWithinMs: 20 } });
    try {
      const answers = await Promise.all(
        shas.map((s, i) =>
          app.inject({ url: `/status?head_hash=${s}`, remoteAddress: `10.0.${i >> 8}.${i & 255}` }),
        ),
      );
      expect(backend.maxResolving).toBeLessThanOrEqual(2);
      expect(backend.resolveDeploymentCalls).toBe(2);
      // 200 pending: resolving, queued, or still looking the commit up when the answer was due;
      // 503 pending: refused at the bound, nothing started for it.
      const pending = answers.filter((a) => a.statusCode === 200);
      const busy = answers.filter((a) => a.statusCode === 503);
      expect(pending.length + busy.length).toBe(300);
      expect(busy.length).toBeGreaterThanOrEqual(200);
      for (const a of [...pending, ...busy]) {
        expect(a.json().state).toBe('pending');
        expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
      }
      // The badge never errors: at the bound it says pending too.
      const badge = await app.inject({ url: `/gitlab.svg?git_hash=${shas[299]}`, remoteAddress: '10.9.9.9' });
      expect(badge.statusCode).toBe(200);
      expect(badge.headers['x-stow-state']).toBe('pending');
      release();
      await eventually(
        () => core.resolutionLoad.running + core.resolutionLoad.waiting === 0,
        'the queue drains',
      );
      // Only what fitted (2 running + 8 queued) was ever resolved: 300 requests, at most 10 downloads.
      expect(backend.resolveDeploymentCalls).toBe(10);
      expect(backend.maxResolving).toBeLessThanOrEqual(2);
    } finally {
      await app.close();
    }
  });

  it('a 7-character prefix and the full sha are one cache entry; unknown commits are remembered briefly', async () => {
    const backend = new FakeBackend({ [sha('a')]: { deploymentHash: hash('a') } }, sha('a'));
    let now = 1_000_000;
    const core = new DaemonCore({
      backend,
      logger: silentLogger,
      runningTtlMs: 0,
      now: () => now,
      resolution: { unknownTtlMs: 30_000 },
    });
    expect((await core.status(sha('a').slice(0, 7))).head_hash).toBe(sha('a'));
    expect((await core.status(sha('a'))).head_hash).toBe(sha('a'));
    expect((await core.status(sha('a').slice(0, 12))).head_hash).toBe(sha('a'));
    expect(backend.resolveDeploymentCalls).toBe(1);
    const lookups = backend.resolveCommitCalls;
    for (let i = 0; i < 5; i++)
      await expect(core.status(sha('e'))).rejects.toMatchObject({ code: 'UNKNOWN_COMMIT' });
    expect(backend.resolveCommitCalls).toBe(lookups + 1);
    now += 30_001;
    await expect(core.status(sha('e'))).rejects.toMatchObject({ code: 'UNKNOWN_COMMIT' });
    expect(backend.resolveCommitCalls).toBe(lookups + 2);
  });

  it('per client: new commits past its limit are 429 with Retry-After (the badge says pending); cached ones stay free', async () => {
    const { backend, shas } = manyCommits(12);
    const { app } = await buildTestApp(backend, { core: { clientLimit: { perMinute: 1, burst: 5 } } });
    try {
      const ask = (s: string, ip = '192.0.2.1') =>
        app.inject({ url: `/status?head_hash=${s}`, remoteAddress: ip });
      for (const s of shas.slice(0, 5)) expect((await ask(s)).statusCode).toBe(200);
      const refused = await ask(shas[5] ?? '');
      expect(refused.statusCode).toBe(429);
      expect(refused.json().code).toBe('RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Answers the daemon already has cost nothing.
      for (let i = 0; i < 20; i++) expect((await ask(shas[0] ?? '')).statusCode).toBe(200);
      const badge = await app.inject({ url: `/gitlab.svg?git_hash=${shas[6]}`, remoteAddress: '192.0.2.1' });
      expect(badge.statusCode).toBe(200);
      expect(badge.headers['x-stow-state']).toBe('pending');
      expect(badge.headers['retry-after']).toBeDefined();
      // Another client has its own bucket.
      expect((await ask(shas[5] ?? '', '192.0.2.2')).statusCode).toBe(200);
      expect(backend.resolveDeploymentCalls).toBe(6);
    } finally {
      await app.close();
    }
  });

  it('a CI trigger is queued even when resolution is at its bound: 202, its state pending', async () => {
    const { backend, shas } = manyCommits(12);
    const release = backend.holdResolutions();
    const { app, core } = await buildTestApp(backend, { core: { answerWithinMs: 20 } });
    try {
      await Promise.all(shas.slice(1, 11).map((s) => app.inject({ url: `/status?head_hash=${s}` })));
      const trigger = await app.inject({ method: 'POST', url: `/trigger?head_hash=${shas[11]}` });
      expect(trigger.statusCode).toBe(202);
      expect(trigger.json().state).toBe('pending');
      release();
      await core.idle();
      expect(backend.requests).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
