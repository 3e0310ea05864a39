import type { ReconcileOutcome } from '@stow/reconciler';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

const plan = {
  git_revision: 'a'.repeat(40),
  deployment: 'web',
  manifest_hash: '',
  config_hash: '',
  secrets_hash: '',
  deployment_hash: 'b'.repeat(64),
  actions: [],
  jobs: [],
};
const record = {
  id: 'r1',
  trigger: 'poll' as const,
  state: 'finished' as const,
  startedAt: 0,
  finishedAt: 1000,
  applying: true,
};

describe('job run metrics', () => {
  it('counts the job runs of each reconcile by outcome', async () => {
    const metrics = createMetrics();
    const converged: ReconcileOutcome = {
      kind: 'converged',
      deploymentHash: 'b'.repeat(64),
      gitRevision: 'a'.repeat(40),
      changed: true,
      plan,
      jobs: [
        { job: 'migrate', when: 'beforeApply', outcome: 'succeeded', exitCode: 0, durationMs: 10 },
        { job: 'smoke', when: 'afterVerify', outcome: 'succeeded', exitCode: 0, durationMs: 10 },
      ],
    };
    const rolledBack: ReconcileOutcome = {
      kind: 'rolledBack',
      failedDeploymentHash: 'c'.repeat(64),
      gitRevision: 'a'.repeat(40),
      step: 'job',
      reason: 'job migrate (beforeApply) exited with code 1',
      restoredDeploymentHash: 'b'.repeat(64),
      plan,
      jobs: [
        { job: 'migrate', when: 'beforeApply', outcome: 'timedOut', exitCode: undefined, durationMs: 10 },
      ],
    };
    metrics.observer.reconcileFinished?.(record, converged);
    metrics.observer.reconcileFinished?.(record, rolledBack);
    metrics.observer.reconcileFinished?.(record, {
      kind: 'failed',
      step: 'fetch',
      terminal: false,
      reason: 'x',
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('stow_job_runs_total{outcome="succeeded"} 2');
    expect(text).toContain('stow_job_runs_total{outcome="timedOut"} 1');
    expect(text).not.toContain('stow_job_runs_total{outcome="failed"}');
  });
});
