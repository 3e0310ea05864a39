import { FakeEngine } from '@stow/docker-planner/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReconcileTrigger } from './reconcile-context.js';
import { runReconcile } from './run-reconcile.js';
import { fakeSource, manifestFiles, testContext } from './test-support/fakes.js';

// A deployment hash that failed is not retried by any automatic run (a daemon start, a poll); those
// keep the running deployment and repair its drift. An explicit trigger or `stow reconcile` retries it.

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

/** A host on revision A whose revision B failed (worker exits) and was rolled back. */
async function afterFailedB() {
  const revisions = new Map([
    [A, manifestFiles('web', ['app'])],
    [B, manifestFiles('web', ['app', 'worker'])],
  ]);
  let head = A;
  const engine = new FakeEngine();
  const { context, cleanup } = testContext(
    fakeSource(revisions, () => head),
    engine,
  );
  cleanups.push(cleanup);
  const reconcile = (trigger: ReconcileTrigger) => runReconcile(context, { trigger });
  const first = await reconcile('manual');
  if (first.kind !== 'converged') throw new Error('first deploy failed');
  head = B;
  engine.script({ name: 'worker' }, { kind: 'exits', exitCode: 1 });
  const failed = await reconcile('trigger');
  if (failed.kind !== 'rolledBack') throw new Error(`expected a rollback: ${JSON.stringify(failed)}`);
  const creates = () => engine.calls.filter((call) => call.startsWith('create ')).length;
  return { engine, context, reconcile, first, failed, creates };
}

describe('quarantine holds for every automatic run', () => {
  it.each<ReconcileTrigger>(['start', 'poll'])(
    'a %s run keeps the running deployment instead of redeploying the failed hash',
    async (trigger) => {
      const h = await afterFailedB();
      const before = h.creates();
      const outcome = await h.reconcile(trigger);
      expect(outcome).toMatchObject({
        kind: 'quarantined',
        deploymentHash: h.failed.failedDeploymentHash,
        reason: 'worker: exited (code 1)',
        repaired: false,
      });
      expect(h.creates()).toBe(before);
      expect(h.engine.byName('worker')).toBeUndefined();
    },
  );

  it('a start after a reboot (every container stopped) repairs the running deployment, not the failed one', async () => {
    const h = await afterFailedB();
    for (const c of h.engine.containers.values()) await h.engine.stopContainer(c.id, 10);
    const outcome = await h.reconcile('start');
    expect(outcome).toMatchObject({ kind: 'quarantined', repaired: true });
    expect(h.engine.byName('app')).toMatchObject({
      state: 'running',
      labels: { 'stow.hash': `v1:${h.first.deploymentHash}` },
    });
    expect(h.engine.byName('worker')).toBeUndefined();
  });

  it.each<ReconcileTrigger>(['trigger', 'manual'])(
    'an explicit %s retries it, and a success clears the quarantine',
    async (trigger) => {
      const h = await afterFailedB();
      h.engine.script({ name: 'worker' }, { kind: 'runs' });
      expect(await h.reconcile(trigger)).toMatchObject({ kind: 'converged', changed: true });
      expect(await h.context.quarantine.list()).toEqual([]);
      // ... so that automatic runs no longer skip it.
      expect(await h.reconcile('start')).toMatchObject({ kind: 'converged', changed: false });
    },
  );

  it('a dry run plans the quarantined hash (it changes nothing)', async () => {
    const h = await afterFailedB();
    expect(await runReconcile(h.context, { trigger: 'poll', dryRun: true })).toMatchObject({
      kind: 'planned',
      plan: { deployment_hash: h.failed.failedDeploymentHash },
    });
  });
});
