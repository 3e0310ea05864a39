import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from './outcome.js';
import { jsonLinesLog } from './reconcile-log.js';
import { runReconcile } from './run-reconcile.js';
import { FakeDocker, fakeSource, manifestFiles, testContext } from './test-support/fakes.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup(revisions: Record<string, Record<string, string>>, head: string) {
  const revs = new Map(Object.entries(revisions));
  let current = head;
  const docker = new FakeDocker();
  const lines: string[] = [];
  const { context, stateDir, cleanup } = testContext(
    fakeSource(revs, () => current),
    docker,
    jsonLinesLog((l) => lines.push(l)),
  );
  cleanups.push(cleanup);
  return { context, docker, stateDir, lines, setHead: (sha: string) => (current = sha) };
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('runReconcile', () => {
  it('converges a first deploy, records the snapshot and confirms it', async () => {
    const { context, docker, stateDir } = setup({ [A]: manifestFiles('web', ['app', 'db']) }, A);
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
    expect([...docker.containers.keys()]).toEqual(['app', 'db']);
    expect(await fs.readdir(path.join(stateDir, '.stow/staging'))).toEqual([]);
  });

  it('does nothing the second time', async () => {
    const { context, docker } = setup({ [A]: manifestFiles('web', ['app']) }, A);
    await runReconcile(context, { trigger: 'manual' });
    const second = await runReconcile(context, { trigger: 'poll' });
    expect(second).toMatchObject({ kind: 'converged', changed: false });
    expect(docker.applied).toHaveLength(1);
  });

  it('rolls back a revision that fails verification and quarantines it for polls', async () => {
    const { context, docker, stateDir, setHead } = setup(
      { [A]: manifestFiles('web', ['app']), [B]: manifestFiles('web', ['app', 'worker']) },
      A,
    );
    const first = await runReconcile(context, { trigger: 'manual' });
    if (first.kind !== 'converged') throw new Error(`first deploy: ${JSON.stringify(first)}`);
    setHead(B);
    const planned = await runReconcile(context, { trigger: 'manual', dryRun: true });
    if (planned.kind !== 'planned') throw new Error('expected a plan');
    docker.failVerify.set(planned.plan.deployment_hash, 'worker: unhealthy');

    const outcome = await runReconcile(context, { trigger: 'trigger' });
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'verify',
      reason: 'worker: unhealthy',
      restoredDeploymentHash: first.deploymentHash,
    });
    expect(exitCodeOf(outcome)).toBe(1);
    expect(await fs.readlink(path.join(stateDir, 'running-config'))).toBe(
      `.stow/snapshots/${first.deploymentHash}`,
    );
    expect(docker.containers.get('worker')).toBeUndefined();
    expect(docker.containers.get('app')?.hash).toBe(first.deploymentHash);

    // A poll does not try the failed hash again; a trigger does.
    const poll = await runReconcile(context, { trigger: 'poll' });
    expect(poll).toMatchObject({ kind: 'quarantined', reason: 'worker: unhealthy' });
    docker.failVerify.clear();
    expect(await runReconcile(context, { trigger: 'trigger' })).toMatchObject({
      kind: 'converged',
      changed: true,
    });
  });

  it('removes what a failed first deploy created', async () => {
    const { context, docker, stateDir } = setup({ [A]: manifestFiles('web', ['app']) }, A);
    docker.failApply = 'pull failed: manifest unknown';
    const outcome = await runReconcile(context, { trigger: 'manual' });
    expect(outcome).toMatchObject({ kind: 'rolledBack', step: 'apply', restoredDeploymentHash: undefined });
    await expect(fs.lstat(path.join(stateDir, 'running-config'))).rejects.toThrow();
    await expect(fs.lstat(path.join(stateDir, 'running-config.previous'))).rejects.toThrow();
  });

  it('reports rollbackFailed (exit 3) when the previous deployment does not verify either', async () => {
    const { context, docker, setHead } = setup(
      { [A]: manifestFiles('web', ['app']), [B]: manifestFiles('web', ['db']) },
      A,
    );
    const first = await runReconcile(context, { trigger: 'manual' });
    if (first.kind !== 'converged') throw new Error('first deploy failed');
    setHead(B);
    const planned = await runReconcile(context, { trigger: 'manual', dryRun: true });
    if (planned.kind !== 'planned') throw new Error('expected a plan');
    docker.failVerify.set(planned.plan.deployment_hash, 'db: restarted 2 times');
    docker.failVerify.set(first.deploymentHash, 'app: unhealthy');
    const outcome = await runReconcile(context, { trigger: 'manual' });
    expect(outcome.kind).toBe('rollbackFailed');
    expect(exitCodeOf(outcome)).toBe(3);
  });

  it('fails without changing anything on a bad manifest, naming file and key', async () => {
    const { context, docker, stateDir } = setup(
      { [A]: { 'stow.yaml': 'deployment: { name: Web }\ncontainers: {}\n' } },
      A,
    );
    const outcome = await runReconcile(context, { trigger: 'manual' });
    expect(outcome).toMatchObject({ kind: 'failed', step: 'manifest', terminal: true });
    if (outcome.kind === 'failed')
      expect(outcome.reason).toMatch(/stow\.yaml:1:\d+: deployment\.name: must match/);
    expect(docker.applied).toEqual([]);
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
    const { context, docker, stateDir, setHead } = setup(
      { [A]: manifestFiles('web', ['app']), [B]: manifestFiles('web', ['app', 'db']) },
      A,
    );
    const first = await runReconcile(context, { trigger: 'manual' });
    if (first.kind !== 'converged') throw new Error('first deploy failed');
    // Simulate a crash after the switch: B's snapshot is running-config, A is previous, Docker half-done.
    setHead(B);
    const planned = await runReconcile(context, { trigger: 'manual', dryRun: true });
    if (planned.kind !== 'planned') throw new Error('expected a plan');
    docker.failApply = 'killed';
    docker.failVerify.set(planned.plan.deployment_hash, 'x');
    const interrupted = context.store;
    const staging = await interrupted.createStaging();
    await fs.writeFile(path.join(staging, 'stow.yaml'), manifestFiles('web', ['app', 'db'])['stow.yaml']);
    // commit + switch by hand, as the killed process had done
    const { commitSnapshot, prepareRevision } = await import('./pipeline.js');
    const prepared = await prepareRevision(context, B, staging);
    await commitSnapshot(context, prepared);
    await interrupted.switchTo(prepared.hashes.deploymentHash);
    docker.containers.set('db', { deployment: 'web', hash: prepared.hashes.deploymentHash, running: true });
    docker.failApply = undefined;

    setHead(A);
    const outcome = await runReconcile(context, { trigger: 'start' });
    expect(outcome).toMatchObject({ kind: 'converged', deploymentHash: first.deploymentHash });
    expect(docker.containers.has('db')).toBe(false);
    await expect(fs.lstat(path.join(stateDir, 'running-config.previous'))).rejects.toThrow();
  });

  it('plans without changing anything on a dry run', async () => {
    const { context, docker, stateDir } = setup({ [A]: manifestFiles('web', ['app']) }, A);
    const outcome = await runReconcile(context, { trigger: 'manual', dryRun: true });
    expect(outcome).toMatchObject({ kind: 'planned', plan: { git_revision: A, deployment: 'web' } });
    expect(docker.applied).toEqual([]);
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
