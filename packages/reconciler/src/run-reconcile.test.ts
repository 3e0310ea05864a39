import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DEFAULT_APPLY_CONCURRENCY } from '@stow/docker-planner';
import { FakeEngine } from '@stow/docker-planner/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from './outcome.js';
import { jsonLinesLog } from './reconcile-log.js';
import { runReconcile } from './run-reconcile.js';
import { fakeSource, manifestFiles, testContext } from './test-support/fakes.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup(revisions: Record<string, Record<string, string>>, head: string) {
  const revs = new Map(Object.entries(revisions));
  let current = head;
  const engine = new FakeEngine();
  const lines: string[] = [];
  const { context, stateDir, cleanup } = testContext(
    fakeSource(revs, () => current),
    engine,
    jsonLinesLog((l) => lines.push(l)),
  );
  cleanups.push(cleanup);
  return { context, engine, stateDir, lines, setHead: (sha: string) => (current = sha) };
}

/** The fake engine's containers by name: the deployment hash they carry and their state. */
function containersOf(engine: FakeEngine): Record<string, { hash: string | undefined; state: string }> {
  return Object.fromEntries(
    [...engine.containers.values()].map((c) => [c.name, { hash: c.labels['stow.hash'], state: c.state }]),
  );
}

/** How many containers the engine was asked to create. */
const creates = (engine: FakeEngine) => engine.calls.filter((call) => call.startsWith('create ')).length;

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('runReconcile', () => {
  it('converges a first deploy, records the snapshot and confirms it', async () => {
    const { context, engine, stateDir } = setup({ [A]: manifestFiles('web', ['app', 'db']) }, A);
    const outcome = await runReconcile(context, { trigger: 'manual' });
    expect(outcome).toMatchObject({ kind: 'converged', changed: true, gitRevision: A });
    if (outcome.kind !== 'converged') throw new Error('unreachable');
    expect(outcome.plan.actions).toEqual([
      { container: 'app', action: 'replace', reason: 'missing' },
      { container: 'db', action: 'replace', reason: 'missing' },
    ]);
    expect(await fs.readlink(path.join(stateDir, 'running-config'))).toBe(
      `.stow/snapshots/${outcome.deploymentHash}`,
    );
    await expect(fs.lstat(path.join(stateDir, 'running-config.previous'))).rejects.toThrow();
    expect(containersOf(engine)).toEqual({
      app: { hash: `v1:${outcome.deploymentHash}`, state: 'running' },
      db: { hash: `v1:${outcome.deploymentHash}`, state: 'running' },
    });
    expect(await fs.readdir(path.join(stateDir, '.stow/staging'))).toEqual([]);
  });

  it('does nothing the second time', async () => {
    const { context, engine } = setup({ [A]: manifestFiles('web', ['app']) }, A);
    await runReconcile(context, { trigger: 'manual' });
    const second = await runReconcile(context, { trigger: 'poll' });
    expect(second).toMatchObject({ kind: 'converged', changed: false });
    expect(creates(engine)).toBe(1);
  });

  it('rolls back a revision that fails verification and quarantines it for polls', async () => {
    const { context, engine, stateDir, setHead } = setup(
      { [A]: manifestFiles('web', ['app']), [B]: manifestFiles('web', ['app', 'worker']) },
      A,
    );
    const first = await runReconcile(context, { trigger: 'manual' });
    if (first.kind !== 'converged') throw new Error(`first deploy: ${JSON.stringify(first)}`);
    setHead(B);
    engine.script({ name: 'worker' }, { kind: 'exits', exitCode: 137, oomKilled: true });

    const outcome = await runReconcile(context, { trigger: 'trigger' });
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'verify',
      reason: 'worker: exited (code 137, OOM killed)',
      restoredDeploymentHash: first.deploymentHash,
    });
    expect(exitCodeOf(outcome)).toBe(1);
    expect(await fs.readlink(path.join(stateDir, 'running-config'))).toBe(
      `.stow/snapshots/${first.deploymentHash}`,
    );
    expect(containersOf(engine)).toEqual({ app: { hash: `v1:${first.deploymentHash}`, state: 'running' } });

    // A poll does not try the failed hash again; a trigger does.
    const poll = await runReconcile(context, { trigger: 'poll' });
    expect(poll).toMatchObject({ kind: 'quarantined', reason: 'worker: exited (code 137, OOM killed)' });
    engine.script({ name: 'worker' }, { kind: 'runs' });
    expect(await runReconcile(context, { trigger: 'trigger' })).toMatchObject({
      kind: 'converged',
      changed: true,
    });
  });

  it('removes what a failed first deploy created', async () => {
    const { context, engine, stateDir } = setup({ [A]: manifestFiles('web', ['app']) }, A);
    engine.failStart.add('app');
    const outcome = await runReconcile(context, { trigger: 'manual' });
    expect(outcome).toMatchObject({ kind: 'rolledBack', step: 'apply', restoredDeploymentHash: undefined });
    expect(engine.containers.size).toBe(0);
    await expect(fs.lstat(path.join(stateDir, 'running-config'))).rejects.toThrow();
    await expect(fs.lstat(path.join(stateDir, 'running-config.previous'))).rejects.toThrow();
  });

  it('reports rollbackFailed (exit 3) when the previous deployment does not verify either', async () => {
    const { context, engine, setHead } = setup(
      { [A]: manifestFiles('web', ['app']), [B]: manifestFiles('web', ['db']) },
      A,
    );
    const first = await runReconcile(context, { trigger: 'manual' });
    if (first.kind !== 'converged') throw new Error('first deploy failed');
    setHead(B);
    engine.script({ name: 'db' }, { kind: 'restarts', restartCount: 2 });
    engine.script({ name: 'app' }, { kind: 'unhealthy' });
    const outcome = await runReconcile(context, { trigger: 'manual' });
    expect(outcome).toMatchObject({
      kind: 'rollbackFailed',
      reason:
        'db: restarted 2 times (last exit 1), now restarting; previous deployment did not verify: app: unhealthy (last probe exit code 1)',
    });
    expect(exitCodeOf(outcome)).toBe(3);
  });

  it('fails without changing anything on a bad manifest, naming file and key', async () => {
    const { context, engine, stateDir } = setup(
      { [A]: { 'stow.yaml': 'deployment: { name: Web }\ncontainers: {}\n' } },
      A,
    );
    const outcome = await runReconcile(context, { trigger: 'manual' });
    expect(outcome).toMatchObject({ kind: 'failed', step: 'manifest', terminal: true });
    if (outcome.kind === 'failed')
      expect(outcome.reason).toMatch(/stow\.yaml:1:\d+: deployment\.name: must match/);
    expect(engine.calls.filter((call) => !call.startsWith('list'))).toEqual([]);
    expect(await fs.readdir(path.join(stateDir, '.stow/snapshots'))).toEqual([]);
    expect(exitCodeOf(outcome)).toBe(2);
  });

  it('fails transiently when the source cannot deliver', async () => {
    const { context } = setup({}, A);
    expect(await runReconcile(context, { trigger: 'poll' })).toMatchObject({
      kind: 'failed',
      step: 'fetch',
      terminal: true,
    });
    const unreachable = setup({}, A);
    unreachable.context.source.fetchSubfolder = async () => {
      throw Object.assign(new Error('GET archive: connect ECONNREFUSED'), {
        code: 'NETWORK',
        transient: true,
      });
    };
    expect(await runReconcile(unreachable.context, { trigger: 'poll' })).toMatchObject({
      kind: 'failed',
      terminal: false,
    });
  });

  it('recovers an interrupted apply by rolling back first', async () => {
    const { context, engine, stateDir, setHead } = setup(
      { [A]: manifestFiles('web', ['app']), [B]: manifestFiles('web', ['app', 'db']) },
      A,
    );
    const first = await runReconcile(context, { trigger: 'manual' });
    if (first.kind !== 'converged') throw new Error('first deploy failed');
    // Simulate a crash after the switch: B's snapshot is running-config, A is previous, Docker half-done.
    setHead(B);
    const interrupted = context.store;
    const staging = await interrupted.createStaging();
    await fs.writeFile(path.join(staging, 'stow.yaml'), manifestFiles('web', ['app', 'db'])['stow.yaml']);
    // commit + switch by hand, as the killed process had done
    const { commitSnapshot, prepareRevision } = await import('./pipeline.js');
    const prepared = await prepareRevision(context, B, staging);
    await commitSnapshot(context, prepared);
    await interrupted.switchTo(prepared.hashes.deploymentHash);
    engine.addContainer({
      id: 'half-done-db',
      name: 'db',
      state: 'running',
      labels: { 'stow.deployment': 'web', 'stow.hash': `v1:${prepared.hashes.deploymentHash}` },
    });

    setHead(A);
    const outcome = await runReconcile(context, { trigger: 'start' });
    expect(outcome).toMatchObject({ kind: 'converged', deploymentHash: first.deploymentHash });
    expect(containersOf(engine)).toEqual({ app: { hash: `v1:${first.deploymentHash}`, state: 'running' } });
    await expect(fs.lstat(path.join(stateDir, 'running-config.previous'))).rejects.toThrow();
  });

  it("plans again when the interrupted run's stop lands while the recovery verifies", async () => {
    const { context, engine, setHead, lines } = setup(
      { [A]: manifestFiles('web', ['app']), [B]: manifestFiles('web', ['app']) },
      A,
    );
    const first = await runReconcile(context, { trigger: 'manual' });
    if (first.kind !== 'converged') throw new Error('first deploy failed');
    setHead(B);
    const { commitSnapshot, prepareRevision } = await import('./pipeline.js');
    const staging = await context.store.createStaging();
    const prepared = await prepareRevision(context, B, staging);
    await commitSnapshot(context, prepared);
    await context.store.switchTo(prepared.hashes.deploymentHash);
    // The killed run had asked the engine to stop the old app; the stop lands after the recovery
    // planned app as noop, on its first verification look.
    const old = engine.byName('app');
    if (!old) throw new Error('no app container');
    const inspect = engine.inspectContainer.bind(engine);
    let landed = false;
    engine.inspectContainer = async (idOrName) => {
      if (!landed && (idOrName === old.id || idOrName === 'app')) {
        landed = true;
        Object.assign(old, { state: 'exited', exitCode: 143 });
      }
      return inspect(idOrName);
    };

    setHead(A);
    const outcome = await runReconcile(context, { trigger: 'start' });
    expect(outcome).toMatchObject({ kind: 'converged', deploymentHash: first.deploymentHash });
    expect(containersOf(engine)).toEqual({ app: { hash: `v1:${first.deploymentHash}`, state: 'running' } });
    expect(engine.byName('app')?.id).not.toBe(old.id);
    expect(lines.some((line) => line.includes('recovery did not verify: planning again'))).toBe(true);
  });

  it('plans without changing anything on a dry run', async () => {
    const { context, engine, stateDir } = setup({ [A]: manifestFiles('web', ['app']) }, A);
    const outcome = await runReconcile(context, { trigger: 'manual', dryRun: true });
    expect(outcome).toMatchObject({ kind: 'planned', plan: { git_revision: A, deployment: 'web' } });
    expect(engine.calls.filter((call) => !call.startsWith('list'))).toEqual([]);
    await expect(fs.lstat(path.join(stateDir, 'running-config'))).rejects.toThrow();
  });

  it('logs JSON lines with one reconcile id', async () => {
    const { context, lines } = setup({ [A]: manifestFiles('web', ['app']) }, A);
    await runReconcile(context, { trigger: 'manual' });
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed.length).toBeGreaterThan(2);
    expect(new Set(parsed.map((entry) => entry.reconcile_id)).size).toBe(1);
    expect(parsed.at(-1)).toMatchObject({ level: 'info', msg: 'converged' });
  });

  it('fails at once when another process holds the host lock', async () => {
    const { context } = setup({ [A]: manifestFiles('web', ['app']) }, A);
    await context.store.prepare();
    const held = await context.store.lock({ purpose: 'daemon' });
    const outcome = await runReconcile(context, { trigger: 'manual' });
    expect(outcome).toMatchObject({ kind: 'failed', step: 'lock' });
    await held.release();
  });
});

/** A fake engine whose starts take a little while, counting how many run at once. */
class SlowStarts extends FakeEngine {
  inFlight = 0;
  peakStarts = 0;
  override async startContainer(id: string): Promise<void> {
    this.inFlight++;
    this.peakStarts = Math.max(this.peakStarts, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await super.startContainer(id);
    } finally {
      this.inFlight--;
    }
  }
}

describe('runReconcile: apply concurrency', () => {
  it.each([
    [2, 2],
    [undefined, DEFAULT_APPLY_CONCURRENCY],
  ])('applyConcurrency %s starts at most %s containers at once', async (applyConcurrency, peak) => {
    const engine = new SlowStarts();
    const names = Array.from({ length: 12 }, (_, i) => `app-${i}`);
    const { context, cleanup } = testContext(
      fakeSource(new Map([[A, manifestFiles('web', names)]]), () => A),
      engine,
    );
    cleanups.push(cleanup);
    const outcome = await runReconcile(
      { ...context, ...(applyConcurrency === undefined ? {} : { applyConcurrency }) },
      { trigger: 'manual' },
    );
    expect(outcome).toMatchObject({ kind: 'converged', changed: true });
    expect(engine.peakStarts).toBe(peak);
  });
});
