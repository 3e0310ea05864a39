import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FakeEngine } from '@stow/docker-planner/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from './outcome.js';
import type { ReconcileContext } from './reconcile-context.js';
import { runReconcile } from './run-reconcile.js';
import { fakeSource, manifestFiles, testContext } from './test-support/fakes.js';

// Outcomes say what happened: `failed` only when nothing changed; bookkeeping failures (quarantine,
// confirm, GC) are warnings that never skip a rollback nor undo a verified deployment.

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const enospc = (what: string) =>
  Object.assign(new Error(`ENOSPC: no space left on device, ${what}`), { code: 'ENOSPC' });

/** Revision A runs app; revision B adds worker. */
function setup() {
  const revisions = new Map([
    [A, manifestFiles('web', ['app'])],
    [B, manifestFiles('web', ['app', 'worker'])],
  ]);
  let head = A;
  const engine = new FakeEngine();
  const test = testContext(
    fakeSource(revisions, () => head),
    engine,
  );
  cleanups.push(test.cleanup);
  let context: ReconcileContext = test.context;
  return {
    engine,
    stateDir: test.stateDir,
    get context() {
      return context;
    },
    setHead: (sha: string) => {
      head = sha;
    },
    /** Replaces store or quarantine methods by ones that fail (or do something else). */
    override(part: {
      store?: Partial<ReconcileContext['store']>;
      quarantine?: Partial<ReconcileContext['quarantine']>;
    }) {
      context = {
        ...context,
        store: { ...context.store, ...part.store },
        quarantine: { ...context.quarantine, ...part.quarantine },
      };
    },
    reconcile: (trigger: 'poll' | 'start' | 'trigger' | 'manual' = 'manual') =>
      runReconcile(context, { trigger }),
  };
}

async function deployedA() {
  const s = setup();
  const first = await s.reconcile();
  if (first.kind !== 'converged') throw new Error(`first deploy: ${JSON.stringify(first)}`);
  return { ...s, first };
}

const hashesOf = (engine: FakeEngine) =>
  Object.fromEntries([...engine.containers.values()].map((c) => [c.name, c.labels['stow.hash']]));

describe('bookkeeping failures are warnings, never a rollback skipped or undone', () => {
  it('a quarantine write failing on a full disk still rolls back, and says the hash is not quarantined', async () => {
    const s = await deployedA();
    s.setHead(B);
    s.engine.script({ name: 'worker' }, { kind: 'exits', exitCode: 1 });
    s.override({ quarantine: { add: async () => Promise.reject(enospc("open '.stow/state.json'")) } });
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'verify',
      reason: 'worker: exited (code 1)',
      restoredDeploymentHash: s.first.deploymentHash,
      warnings: [{ step: 'quarantine', reason: "ENOSPC: no space left on device, open '.stow/state.json'" }],
    });
    expect(exitCodeOf(outcome)).toBe(1);
    expect(hashesOf(s.engine)).toEqual({ app: `v1:${s.first.deploymentHash}` });
    await expect(fs.lstat(path.join(s.stateDir, 'running-config.previous'))).rejects.toThrow();
  });

  it('confirm, quarantine release and GC failing after verification keep the verified deployment', async () => {
    const s = await deployedA();
    s.setHead(B);
    s.override({
      store: {
        confirm: async () => Promise.reject(new Error('EIO: i/o error, unlink running-config.previous')),
        collectGarbage: async () => Promise.reject(enospc('scandir')),
      },
      quarantine: { release: async () => Promise.reject(enospc('write state.json')) },
    });
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({
      kind: 'converged',
      changed: true,
      warnings: [
        { step: 'confirm', reason: 'EIO: i/o error, unlink running-config.previous' },
        { step: 'quarantine', reason: 'ENOSPC: no space left on device, write state.json' },
        { step: 'confirm', reason: 'ENOSPC: no space left on device, scandir' },
      ],
    });
    expect(exitCodeOf(outcome)).toBe(0);
    if (outcome.kind !== 'converged') throw new Error('unreachable');
    expect(hashesOf(s.engine)).toEqual({
      app: `v1:${outcome.deploymentHash}`,
      worker: `v1:${outcome.deploymentHash}`,
    });
  });

  it('a converged noop whose quarantine release fails is still converged, with the warning', async () => {
    const s = await deployedA();
    s.override({ quarantine: { release: async () => Promise.reject(enospc('write state.json')) } });
    expect(await s.reconcile('poll')).toMatchObject({
      kind: 'converged',
      changed: false,
      warnings: [{ step: 'quarantine' }],
    });
  });

  it('a failed staging cleanup or lock release does not change the outcome', async () => {
    const s = setup();
    const realLock = s.context.store.lock;
    s.override({
      store: {
        discardStaging: async () => Promise.reject(new Error('EBUSY')),
        lock: async (options) => {
          const held = await realLock(options);
          return { ...held, release: async () => Promise.reject(new Error('EIO')) };
        },
      },
    });
    expect(await s.reconcile()).toMatchObject({ kind: 'converged', changed: true });
  });
});

describe('failed means nothing changed', () => {
  it('a failed switch of running-config is failed at snapshot, leaving no running-config.previous', async () => {
    const s = await deployedA();
    s.setHead(B);
    const store = s.context.store;
    s.override({
      store: {
        // Fails after the previous link was made, before running-config moved.
        switchTo: async (hash) => {
          await fs.symlink(`.stow/snapshots/${s.first.deploymentHash}`, store.layout.previousConfig);
          throw enospc(`symlink ${hash}`);
        },
      },
    });
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({ kind: 'failed', step: 'snapshot' });
    expect(exitCodeOf(outcome)).toBe(2);
    expect(hashesOf(s.engine)).toEqual({ app: `v1:${s.first.deploymentHash}` });
    expect((await store.running())?.deploymentHash).toBe(s.first.deploymentHash);
    expect(await store.previous()).toBeUndefined();
  });

  it('an unreadable interrupted snapshot fails at recover, not at lock', async () => {
    const s = await deployedA();
    s.override({
      store: {
        previous: async () => ({ kind: 'nothing' }),
        readMetadata: async () => Promise.reject(new Error('cannot read snapshot metadata x')),
      },
    });
    expect(await s.reconcile()).toMatchObject({
      kind: 'failed',
      step: 'recover',
      reason: 'cannot read snapshot metadata x',
    });
  });
});

describe('drift repair while the desired deployment is quarantined', () => {
  async function quarantinedB() {
    const s = await deployedA();
    s.setHead(B);
    s.engine.script({ name: 'worker' }, { kind: 'exits', exitCode: 1 });
    expect(await s.reconcile('trigger')).toMatchObject({ kind: 'rolledBack' });
    return s;
  }

  it('a repair that cannot even plan is failed at repair: nothing changed', async () => {
    const s = await quarantinedB();
    s.engine.unreachable = true;
    const outcome = await s.reconcile('poll');
    expect(outcome).toMatchObject({ kind: 'failed', step: 'repair', terminal: false });
    if (outcome.kind === 'failed')
      expect(outcome.reason).toMatch(/repairing the running deployment: .*unreachable/);
  });

  it('a repair that changed Docker and did not verify is repairFailed (exit 3)', async () => {
    const s = await quarantinedB();
    const app = s.engine.byName('app');
    if (!app) throw new Error('app is not running');
    await s.engine.stopContainer(app.id, 10);
    s.engine.script({ name: 'app' }, { kind: 'unhealthy' });
    const outcome = await s.reconcile('poll');
    expect(outcome).toMatchObject({
      kind: 'repairFailed',
      runningDeploymentHash: s.first.deploymentHash,
      step: 'verify',
      reason: 'app: unhealthy (last probe exit code 1)',
    });
    expect(exitCodeOf(outcome)).toBe(3);
  });
});
