import { FakeEngine } from '@stow/docker-planner/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from './ports.js';
import { runReconcile } from './run-reconcile.js';
import { fakeClock, fakeSource, manifestFiles, testContext } from './test-support/fakes.js';

// The Docker engine stops answering (dockerd restarting, a socket that refuses) while a new revision
// is verified: invalid observations, not a failed deployment; a rollback waits for the engine.

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

/**
 * A deployed A and a head B. `outage(ms)` says whether the engine is down at `ms` after B's
 * reconcile starts (time only moves when someone sleeps: verification windows of stow.yaml's
 * defaults, 20 s stable within 60 s).
 */
async function deployedThenOutage(outage: (ms: number) => boolean, engineWaitMs?: number) {
  const engine = new FakeEngine();
  let head = A;
  const base = fakeClock();
  let start: number | undefined;
  const clock: Clock = {
    now: () => base.now(),
    sleep: async (ms) => {
      await base.sleep(ms);
      if (start !== undefined) engine.unreachable = outage(base.now() - start);
    },
  };
  const source = fakeSource(
    new Map([
      [A, manifestFiles('web', ['app'])],
      [B, manifestFiles('web', ['app', 'db'])],
    ]),
    () => head,
  );
  const { context, cleanup } = testContext(source, engine);
  cleanups.push(cleanup);
  const withClock = { ...context, clock, ...(engineWaitMs === undefined ? {} : { engineWaitMs }) };
  const first = await runReconcile(withClock, { trigger: 'manual' });
  if (first.kind !== 'converged') throw new Error(`first deploy: ${first.kind}`);
  head = B;
  start = base.now();
  const outcome = await runReconcile(withClock, { trigger: 'manual' });
  return { outcome, engine, first, elapsedMs: base.now() - start };
}

describe('an engine that stops answering', () => {
  it('during verification, back within the timeout: the window starts again and the revision converges', async () => {
    const { outcome, engine } = await deployedThenOutage((ms) => ms >= 1000 && ms < 5000);
    expect(outcome).toMatchObject({ kind: 'converged', gitRevision: B, changed: true });
    expect([...engine.containers.values()].map((c) => c.name).sort()).toEqual(['app', 'db']);
  });

  it('until after the timeout: verification fails naming it, the rollback waits for the engine and succeeds', async () => {
    const { outcome, engine, first } = await deployedThenOutage((ms) => ms >= 1000 && ms < 75_000);
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'verify',
      restoredDeploymentHash: first.kind === 'converged' ? first.deploymentHash : '',
    });
    if (outcome.kind === 'rolledBack') expect(outcome.reason).toMatch(/^app: not observed \(.*ECONNREFUSED/);
    expect([...engine.containers.values()].map((c) => c.name)).toEqual(['app']);
  });

  it('for good: the rollback gives up after engineWaitMs and says the host needs attention', async () => {
    const { outcome, elapsedMs } = await deployedThenOutage((ms) => ms >= 1000, 30_000);
    expect(outcome).toMatchObject({ kind: 'rollbackFailed', step: 'verify' });
    if (outcome.kind === 'rollbackFailed')
      expect(outcome.reason).toMatch(/rollback failed at plan: .*unreachable/);
    // Verification (at most its 60 s timeout), then 30 s (and one probe) of waiting for the engine.
    expect(elapsedMs).toBeGreaterThanOrEqual(30_000);
    expect(elapsedMs).toBeLessThanOrEqual(60_000 + 31_000);
  });
});
