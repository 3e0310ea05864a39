import { describe, expect, it } from 'vitest';
import { DaemonCore } from './daemon-core.js';
import { silentLogger } from './logger.js';
import { buildTestApp } from './test-support/build-test-app.js';
import { FakeBackend, hash, sha, sleep } from './test-support/fake-backend.js';

const OLD = sha('1');
const NEW = sha('2');
const NEWER = sha('3');

function repository() {
  return new FakeBackend(
    {
      [OLD]: { deploymentHash: hash('a') },
      [NEW]: { deploymentHash: hash('b') },
      [NEWER]: { deploymentHash: hash('c') },
    },
    NEW,
  );
}

describe('the reconcile queue', () => {
  it('coalesces 200 triggers within one second into at most 2 reconciles; /status keeps answering', async () => {
    const backend = repository();
    backend.reconcileMs = 300;
    const { app, core } = await buildTestApp(backend);
    try {
      const statusTimes: number[] = [];
      const triggers: Promise<{ statusCode: number }>[] = [];
      const started = Date.now();
      for (let i = 0; i < 200; i++) {
        triggers.push(app.inject({ method: 'POST', url: `/trigger?head_hash=${i % 2 ? NEW : OLD}` }));
        if (i % 20 === 0) {
          const t0 = Date.now();
          const status = await app.inject({ url: `/status?head_hash=${NEW}` });
          expect(status.statusCode).toBe(200);
          statusTimes.push(Date.now() - t0);
        }
        await sleep(4); // 200 triggers spread over about a second
      }
      const answers = await Promise.all(triggers);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(answers.every((a) => a.statusCode === 202)).toBe(true);
      await core.idle();
      expect(backend.requests.length).toBeGreaterThanOrEqual(1);
      expect(backend.requests.length).toBeLessThanOrEqual(2);
      expect(backend.requests.every((r) => r.revision === NEW)).toBe(true);
      expect(statusTimes.length).toBe(10);
      expect(Math.max(...statusTimes)).toBeLessThan(250); // answered while a reconcile was running
    } finally {
      await app.close();
    }
  });

  it('a burst during a run whose target is older costs exactly one extra reconcile', async () => {
    const backend = repository();
    backend.reconcileMs = 200;
    const core = new DaemonCore({ backend, logger: silentLogger, runningTtlMs: 0 });
    expect(await core.requestReconcile('trigger')).toBe('start');
    await sleep(20);
    backend.head = NEWER; // a merge lands while the first reconcile runs
    const decisions = await Promise.all(Array.from({ length: 50 }, () => core.requestReconcile('trigger')));
    expect(decisions.filter((d) => d === 'queue')).toHaveLength(1);
    expect(decisions.filter((d) => d === 'coalesce')).toHaveLength(49);
    expect(core.queueDepth).toBe(2);
    await core.idle();
    expect(backend.requests.map((r) => r.revision)).toEqual([NEW, NEWER]);
    expect((await core.status(NEWER)).state).toBe('running');
  });

  it('never downgrades: an older head_hash after a newer one reconciles to the newest head', async () => {
    const backend = repository();
    const { app, core } = await buildTestApp(backend);
    try {
      backend.head = NEWER;
      expect((await app.inject({ method: 'POST', url: `/trigger?head_hash=${NEWER}` })).statusCode).toBe(202);
      await core.idle();
      const older = await app.inject({ method: 'POST', url: `/trigger?head_hash=${OLD}` });
      expect(older.statusCode).toBe(202);
      expect(older.json().state).toBe('different');
      await core.idle();
      expect(backend.requests.length).toBeGreaterThanOrEqual(1);
      expect(backend.requests.every((r) => r.revision === NEWER)).toBe(true);
      expect(backend.runningDeployment?.gitRevision).toBe(NEWER);
      expect((await app.inject({ url: `/status?head_hash=${OLD}` })).json().state).toBe('different');
    } finally {
      await app.close();
    }
  });

  it('reports queued for the pending target and reconciling for the one being applied', async () => {
    const backend = repository();
    backend.reconcileMs = 300;
    const core = new DaemonCore({ backend, logger: silentLogger, runningTtlMs: 0 });
    await core.requestReconcile('trigger');
    await sleep(50);
    expect((await core.status(NEW)).state).toBe('reconciling');
    backend.head = NEWER;
    expect(await core.requestReconcile('trigger')).toBe('queue');
    expect((await core.status(NEWER)).state).toBe('queued');
    expect((await core.status(OLD)).state).toBe('different');
    await core.idle();
    expect((await core.status(NEWER)).state).toBe('running');
    expect((await core.status(NEW)).state).toBe('different');
  });

  it('concurrent status requests for one commit share one resolution; it is cached afterwards', async () => {
    const backend = repository();
    backend.resolveMs = 100;
    const core = new DaemonCore({ backend, logger: silentLogger });
    const answers = await Promise.all(Array.from({ length: 20 }, () => core.status(NEW)));
    expect(new Set(answers.map((a) => a.expected_deployment_hash))).toEqual(new Set([hash('b')]));
    await core.status(NEW.slice(0, 10));
    expect(backend.resolveDeploymentCalls).toBe(1);
  });

  it('a poll while a reconcile runs is dropped; stop() waits for the run in progress and drops the pending one', async () => {
    const backend = repository();
    backend.reconcileMs = 300;
    const core = new DaemonCore({ backend, logger: silentLogger });
    await core.requestReconcile('start');
    expect(await core.requestReconcile('poll')).toBe('coalesce');
    backend.head = NEWER;
    expect(await core.requestReconcile('trigger')).toBe('queue');
    const t0 = Date.now();
    expect(await core.stop(5_000)).toBe('idle');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    expect(backend.requests.map((r) => r.trigger)).toEqual(['start']);
    expect(await core.requestReconcile('trigger')).toBe('stopping');
    await sleep(50);
    expect(backend.requests).toHaveLength(1);
  });

  it('stop() gives up after its bound', async () => {
    const backend = repository();
    backend.reconcileMs = 1_000;
    const core = new DaemonCore({ backend, logger: silentLogger });
    await core.requestReconcile('start');
    expect(await core.stop(50)).toBe('timeout');
    await core.idle();
  });

  it('each run logs with its own reconcile id', async () => {
    const backend = repository();
    const core = new DaemonCore({ backend, logger: silentLogger });
    await core.requestReconcile('start');
    await core.idle();
    backend.head = NEWER;
    await core.requestReconcile('trigger');
    await core.idle();
    const ids = backend.logs.map((log) => log.reconcileId);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
    expect(core.reconcileReport()?.id).toBe(ids[1]);
  });
});

describe('one memory of failure: the quarantine on disk', () => {
  it('a deployment that failed under `stow reconcile` reads error in the running daemon, with its reason', async () => {
    const backend = repository();
    backend.runningDeployment = { deploymentHash: hash('a'), gitRevision: OLD, deploymentName: 'web' };
    const core = new DaemonCore({ backend, logger: silentLogger, runningTtlMs: 0 });
    expect((await core.status(NEWER)).state).toBe('different');
    // `stow reconcile` (another process) rolls NEWER's deployment back: it quarantines it on disk.
    backend.quarantine.set(hash('c'), 'web: unhealthy');
    expect(await core.status(NEWER)).toMatchObject({
      state: 'error',
      error: expect.stringContaining('web: unhealthy'),
    });
    expect((await core.status(OLD)).state).toBe('running');
    // Released on disk (a later success of `stow reconcile`): the daemon follows, no restart.
    backend.quarantine.delete(hash('c'));
    expect((await core.status(NEWER)).state).toBe('different');
  });

  it("a failure read at start still reads error, and the daemon's own success clears it", async () => {
    const backend = repository();
    backend.runningDeployment = { deploymentHash: hash('a'), gitRevision: OLD, deploymentName: 'web' };
    backend.quarantine.set(hash('c'), 'web: unhealthy');
    backend.head = NEWER;
    const core = new DaemonCore({ backend, logger: silentLogger, runningTtlMs: 0 });
    await core.loadRememberedFailures();
    expect((await core.status(NEWER)).state).toBe('error');
    await core.requestReconcile('trigger');
    await core.idle();
    expect(backend.quarantine.size).toBe(0);
    expect((await core.status(NEWER)).state).toBe('running');
  });

  it('a rollback in the daemon reads error through the quarantine, not a copy of its own', async () => {
    const backend = repository();
    backend.runningDeployment = { deploymentHash: hash('a'), gitRevision: OLD, deploymentName: 'web' };
    backend.failing.set(hash('c'), 'web: unhealthy');
    backend.head = NEWER;
    const core = new DaemonCore({ backend, logger: silentLogger, runningTtlMs: 60_000 });
    expect((await core.status(NEWER)).state).toBe('different'); // the quarantine read is now cached
    await core.requestReconcile('trigger');
    await core.idle();
    expect((await core.status(NEWER)).state).toBe('error'); // a finished run reads it again at once
    backend.quarantine.clear(); // released by `stow reconcile` elsewhere
    const fresh = new DaemonCore({ backend, logger: silentLogger, runningTtlMs: 0 });
    expect((await fresh.status(NEWER)).state).toBe('different');
  });
});
