import { promises as fs, readlinkSync } from 'node:fs';
import path from 'node:path';
import { FakeEngine } from '@stow/docker-planner/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FailureForensics } from './forensics.js';
import { type JobRunRecord, runJobs } from './jobs.js';
import { commitSnapshot, prepareRevision } from './pipeline.js';
import { runReconcile } from './run-reconcile.js';
import { redactorOf } from './secret-redactor.js';
import { fakeSource, manifestFiles, testContext } from './test-support/fakes.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const JOB_IMAGE = `registry.example.com/tools:1@sha256:${'c'.repeat(64)}`;

/** Revision A runs app; revision B runs app and has `jobs` (a stow.yaml `jobs:` body). */
function setup(jobs: string) {
  const withJobs = manifestFiles('web', ['app']);
  withJobs['stow.yaml'] +=
    `  db:\n    image: registry.example.com/db:1@sha256:${'d'.repeat(64)}\njobs:\n${jobs}`;
  const revisions = new Map([
    [A, manifestFiles('web', ['app'])],
    [B, withJobs],
  ]);
  let head = A;
  const engine = new FakeEngine();
  // Jobs exit 0 at once unless a test scripts them otherwise.
  engine.script({ image: JOB_IMAGE }, { kind: 'completes', exitCode: 0 });
  const test = testContext(
    fakeSource(revisions, () => head),
    engine,
  );
  cleanups.push(test.cleanup);
  return {
    engine,
    context: test.context,
    stateDir: test.stateDir,
    setHead: (sha: string) => {
      head = sha;
    },
    reconcile: (trigger: 'poll' | 'manual' = 'manual', dryRun = false) =>
      runReconcile(test.context, { trigger, dryRun }),
  };
}

const job = (name: string, when: string, extra = '') =>
  `  ${name}:\n    image: ${JOB_IMAGE}\n    when: ${when}\n    command: [run, ${name}]\n${extra}`;
const jobCreates = (engine: FakeEngine) => engine.calls.filter((c) => /^create web\.job\./.test(c));
const appId = (engine: FakeEngine) => engine.byName('app')?.id;

async function deployedA(jobs: string) {
  const s = setup(jobs);
  const first = await s.reconcile();
  if (first.kind !== 'converged') throw new Error(`first deploy: ${JSON.stringify(first)}`);
  s.setHead(B);
  return { ...s, first };
}

describe('jobs in a reconcile', () => {
  it('runs beforeApply jobs after the pulls and before any stop, afterVerify jobs after verification', async () => {
    const s = await deployedA(job('migrate', 'beforeApply') + job('smoke', 'afterVerify'));
    const oldApp = appId(s.engine);
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({
      kind: 'converged',
      jobs: [
        { job: 'migrate', when: 'beforeApply', outcome: 'succeeded', exitCode: 0 },
        { job: 'smoke', when: 'afterVerify', outcome: 'succeeded', exitCode: 0 },
      ],
    });
    const calls = s.engine.calls;
    const at = (call: string) => calls.findIndex((c) => c.startsWith(call));
    expect(at(`pull registry.example.com/tools@`)).toBeLessThan(at('create web.job.migrate'));
    expect(at('create web.job.migrate')).toBeLessThan(at(`stop ${oldApp}`));
    expect(at('create db')).toBeLessThan(at('create web.job.smoke'));
    // Job containers are gone; the planner still sees exactly the two containers.
    expect([...s.engine.containers.values()].map((c) => c.name).sort()).toEqual(['app', 'db']);
  });

  it('a failing beforeApply job rolls back with nothing stopped: same ids, running-config back, hash quarantined', async () => {
    const s = await deployedA(job('migrate', 'beforeApply'));
    s.engine.script(
      { name: 'web.job.migrate' },
      { kind: 'completes', exitCode: 3, logs: 'connecting\nFATAL: password s3cr3t-value rejected\n' },
    );
    const oldApp = appId(s.engine);
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'job',
      restoredDeploymentHash: s.first.deploymentHash,
      jobs: [{ job: 'migrate', outcome: 'failed', exitCode: 3 }],
    });
    if (outcome.kind !== 'rolledBack') throw new Error('unreachable');
    expect(outcome.reason).toBe(
      'job migrate (beforeApply) exited with code 3; last log line: FATAL: password s3cr3t-value rejected',
    );
    expect(appId(s.engine)).toBe(oldApp);
    expect(s.engine.calls.some((c) => c.startsWith('stop'))).toBe(false);
    expect(s.engine.byName('db')).toBeUndefined();
    expect(readlinkSync(path.join(s.stateDir, 'running-config'))).toBe(
      `.stow/snapshots/${s.first.deploymentHash}`,
    );
    // Quarantined: a poll keeps A and runs no job; the rollback ran none either.
    expect(await s.reconcile('poll')).toMatchObject({
      kind: 'quarantined',
      deploymentHash: outcome.failedDeploymentHash,
    });
    expect(jobCreates(s.engine)).toEqual(['create web.job.migrate']);
  });

  it('a beforeApply job past its timeout is killed and fails the deploy', async () => {
    const s = await deployedA(job('migrate', 'beforeApply', '    timeoutSeconds: 5\n'));
    s.engine.script({ name: 'web.job.migrate' }, { kind: 'completes', exitCode: 0, runsForMs: 6000 });
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'job',
      jobs: [{ outcome: 'timedOut', exitCode: undefined }],
    });
    if (outcome.kind === 'rolledBack') {
      expect(outcome.reason).toBe(
        'job migrate (beforeApply) did not finish within 5 s and was killed; it wrote no log',
      );
    }
    expect(s.engine.containers.size).toBe(1);
  });

  it('a failing afterVerify job rolls back like a failed verification', async () => {
    const s = await deployedA(job('smoke', 'afterVerify'));
    s.engine.script(
      { name: 'web.job.smoke' },
      { kind: 'completes', exitCode: 1, logs: 'wget: server returned error: HTTP/1.1 500\n' },
    );
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'job',
      restoredDeploymentHash: s.first.deploymentHash,
      reason:
        'job smoke (afterVerify) exited with code 1; last log line: wget: server returned error: HTTP/1.1 500',
    });
    expect(s.engine.byName('app')?.labels['stow.hash']).toBe(`v1:${s.first.deploymentHash}`);
    expect(s.engine.byName('db')).toBeUndefined();
    expect(jobCreates(s.engine)).toEqual(['create web.job.smoke']);
  });

  it('a noop reconcile and a drift repair run no job', async () => {
    const s = await deployedA(job('migrate', 'beforeApply'));
    expect(await s.reconcile()).toMatchObject({ kind: 'converged', changed: true });
    expect(await s.reconcile()).toMatchObject({ kind: 'converged', changed: false });
    expect(jobCreates(s.engine)).toHaveLength(1);
    // A stopped container is drift: repaired by the same rollback machinery, still no job.
    const db = s.engine.byName('db');
    if (db) db.state = 'exited';
    expect(await s.reconcile()).toMatchObject({
      kind: 'converged',
      changed: true,
      plan: { jobs: [{ job: 'migrate', action: 'skip' }] },
    });
    expect(s.engine.byName('db')?.state).toBe('running');
    expect(jobCreates(s.engine)).toHaveLength(1);
  });

  it('--dry-run lists the jobs: run when the deployment would be applied, skip when it runs already', async () => {
    const s = await deployedA(job('migrate', 'beforeApply') + job('smoke', 'afterVerify'));
    const planned = await s.reconcile('manual', true);
    expect(planned).toMatchObject({
      kind: 'planned',
      plan: {
        jobs: [
          { job: 'migrate', action: 'run', when: 'beforeApply' },
          { job: 'smoke', action: 'run', when: 'afterVerify' },
        ],
      },
    });
    expect(jobCreates(s.engine)).toEqual([]);
    await s.reconcile();
    expect(await s.reconcile('manual', true)).toMatchObject({
      plan: { jobs: [{ action: 'skip' }, { action: 'skip' }] },
    });
  });

  it('recovery removes a job container an interrupted apply left', async () => {
    const s = await deployedA(job('migrate', 'beforeApply'));
    // As if killed during the job: B committed and switched to, its job container still there.
    const staging = await s.context.store.createStaging();
    const prepared = await prepareRevision(s.context, B, staging);
    await commitSnapshot(s.context, prepared);
    await s.context.store.switchTo(prepared.hashes.deploymentHash);
    s.engine.addContainer({
      id: 'left-job',
      name: 'web.job.migrate',
      state: 'running',
      labels: {
        'stow.deployment': 'web',
        'stow.hash': `v1:${prepared.hashes.deploymentHash}`,
        'stow.job': 'migrate',
      },
    });
    s.setHead(A);
    expect(await s.reconcile('poll')).toMatchObject({
      kind: 'converged',
      deploymentHash: s.first.deploymentHash,
    });
    expect(s.engine.containers.has('left-job')).toBe(false);
    expect(s.engine.calls).toContain('remove left-job');
    await expect(fs.lstat(path.join(s.stateDir, 'running-config.previous'))).rejects.toThrow();
  });
});

describe('runJobs', () => {
  it('replaces the secret values in the last log line of a failed job', async () => {
    const s = setup(job('migrate', 'beforeApply', '    envFiles: [secrets/app.env]\n'));
    s.engine.script(
      { name: 'web.job.migrate' },
      { kind: 'completes', exitCode: 2, logs: 'login hunter2-long failed for token abcd\n' },
    );
    const runs: JobRunRecord[] = [];
    const manifest = {
      deployment: {
        name: 'web',
        verify: { stableSeconds: 0, timeoutSeconds: 1 },
        allowUnpinnedImages: false,
      },
      networks: {},
      containers: {},
      jobs: { migrate: { image: JOB_IMAGE, when: 'beforeApply' as const, timeoutSeconds: 10 } },
    };
    const target = {
      deploymentName: 'web',
      deploymentHash: 'f'.repeat(64),
      manifest,
      snapshotDir: '/snap/web',
    };
    const forensics = new FailureForensics(s.engine, s.context.log);
    const redact = redactorOf(['hunter2-long', 'abcd', 'no']);
    await expect(runJobs(s.context, target, 'beforeApply', redact, runs, forensics)).rejects.toThrow(
      'job migrate (beforeApply) exited with code 2; last log line: login [REDACTED] failed for token [REDACTED]',
    );
    expect(runs).toEqual([
      { job: 'migrate', when: 'beforeApply', outcome: 'failed', exitCode: 2, durationMs: 0 },
    ]);
    // Its forensics were taken before its container was removed, redacted the same way.
    expect(forensics.captured).toEqual([
      {
        summary: { name: 'job:migrate', exit_code: 2, oom_killed: false, health: null, has_logs: true },
        logs: {
          name: 'job:migrate',
          exit_code: 2,
          oom_killed: false,
          log_lines: ['login [REDACTED] failed for token [REDACTED]'],
          health_outputs: [],
        },
      },
    ]);
    expect(s.engine.containers.size).toBe(0);
    expect(await runJobs(s.context, target, 'afterVerify', redactorOf([]), runs, forensics)).toBeUndefined();
    expect(runs).toHaveLength(1);
  });
});
