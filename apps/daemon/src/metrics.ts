import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CoreObserver, DaemonCore } from './daemon-core.js';

/** The daemon's Prometheus metrics (names documented in README.md). */
export interface DaemonMetrics {
  readonly registry: Registry;
  readonly observer: CoreObserver;
  /** Connects the gauges read at scrape time to the core. */
  attach(core: DaemonCore): void;
}

export function createMetrics(): DaemonMetrics {
  const registry = new Registry();
  let core: DaemonCore | undefined;
  const reconciles = new Counter({
    name: 'stow_reconciles_total',
    help: 'Reconciles finished, by outcome (converged, rolledBack, failed, quarantined, repairFailed, rollbackFailed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const jobRuns = new Counter({
    name: 'stow_job_runs_total',
    help: 'One-shot jobs (migrations, smoke tests) run, by outcome (succeeded, failed, timedOut).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'stow_reconcile_duration_seconds',
    help: 'Wall-clock duration of reconciles, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  new Gauge({
    name: 'stow_last_success_timestamp_seconds',
    help: 'Unix time of the last reconcile that converged (0: none since the daemon started).',
    registers: [registry],
    collect() {
      this.set((core?.lastSuccessAt ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'stow_reconcile_queue_depth',
    help: 'Reconciles in progress plus waiting (0 to 2).',
    registers: [registry],
    collect() {
      this.set(core?.queueDepth ?? 0);
    },
  });
  new Gauge({
    name: 'stow_running_deployment_info',
    help: 'The deployment the host runs (value 1), labelled by deployment name and hash.',
    labelNames: ['deployment', 'hash'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const running = await core?.running().catch(() => undefined);
      if (running) this.set({ deployment: running.deploymentName, hash: running.deploymentHash }, 1);
    },
  });
  return {
    registry,
    attach(target) {
      core = target;
    },
    observer: {
      reconcileFinished(record, outcome) {
        reconciles.inc({ outcome: outcome.kind });
        for (const run of ('jobs' in outcome ? outcome.jobs : undefined) ?? [])
          jobRuns.inc({ outcome: run.outcome });
        duration.observe(
          { outcome: outcome.kind },
          ((record.finishedAt ?? record.startedAt) - record.startedAt) / 1000,
        );
      },
    },
  };
}
