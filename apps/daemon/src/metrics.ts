import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeploymentContainer } from './backend.js';
import type { CoreObserver, DaemonCore } from './daemon-core.js';

/** The daemon's Prometheus metrics (names documented in docs/http-api.md). */
export interface DaemonMetrics {
  readonly registry: Registry;
  readonly observer: CoreObserver;
  /**
   * Connects the gauges read at scrape time to the core and, for the per-container gauges, to the
   * engine's list of the running deployment's containers.
   */
  attach(core: DaemonCore, containers?: () => Promise<readonly DeploymentContainer[]>): void;
}

export interface MetricsOptions {
  /** How long one engine list serves scrapes (default 5 s): scrapes stay cheap however frequent. */
  readonly containersTtlMs?: number;
  readonly now?: () => number;
}

export function createMetrics(options: MetricsOptions = {}): DaemonMetrics {
  const registry = new Registry();
  const now = options.now ?? Date.now;
  const containersTtlMs = options.containersTtlMs ?? 5_000;
  let core: DaemonCore | undefined;
  let listContainers: (() => Promise<readonly DeploymentContainer[]>) | undefined;
  let listed: { at: number; value: Promise<readonly DeploymentContainer[]> } | undefined;
  /** One engine list per `containersTtlMs`, shared by both gauges; a failed list reads as none. */
  const containers = () => {
    if (!listContainers) return Promise.resolve([]);
    if (!listed || now() - listed.at >= containersTtlMs) {
      listed = { at: now(), value: listContainers().catch(() => []) };
    }
    return listed.value;
  };
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
  const rollbacks = new Counter({
    name: 'stow_rollbacks_total',
    help: 'Rollbacks after a failed deploy, by outcome (succeeded: the previous deployment runs again, verified; failed: the host needs attention).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // The label values are the running deployment's containers: bounded by stow.yaml, not by traffic.
  new Gauge({
    name: 'stow_container_up',
    help: 'Containers of the running deployment: 1 when the engine reports it running, else 0.',
    labelNames: ['container'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await containers()) this.set({ container: c.name }, c.state === 'running' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'stow_container_healthy',
    help: 'Containers of the running deployment: 1 when running and healthy (or running without a healthcheck), else 0.',
    labelNames: ['container'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await containers()) {
        const healthy = c.state === 'running' && (c.health === undefined || c.health === 'healthy');
        this.set({ container: c.name }, healthy ? 1 : 0);
      }
    },
  });
  return {
    registry,
    attach(target, list) {
      core = target;
      listContainers = list;
    },
    observer: {
      reconcileFinished(record, outcome) {
        reconciles.inc({ outcome: outcome.kind });
        if (outcome.kind === 'rolledBack') rollbacks.inc({ outcome: 'succeeded' });
        if (outcome.kind === 'rollbackFailed') rollbacks.inc({ outcome: 'failed' });
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
