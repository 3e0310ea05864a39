import type { DockerEngine, RegistryAuthLookup } from '@stow/docker-planner';
import type { Quarantine, SnapshotStore } from '@stow/snapshot-store';
import type { HistoryStore } from './history-store.js';
import type { Clock, DeploymentSource } from './ports.js';
import type { ReconcileLog } from './reconcile-log.js';
import type { SecretsConfig } from './secrets.js';

/** Everything one reconcile reaches the world through, injected by the CLI or the daemon. */
export interface ReconcileContext {
  readonly source: DeploymentSource;
  readonly secrets: SecretsConfig;
  /** The one Docker port: planning, applying and verifying all go through it. */
  readonly engine: DockerEngine;
  /** Registry credentials per image (default anonymous). */
  readonly registryAuth?: RegistryAuthLookup;
  /** How often verification inspects the containers (default 1000 ms). */
  readonly verifyPollMs?: number;
  /** At most this many pulls, stops or creates + starts at once (default DEFAULT_APPLY_CONCURRENCY). */
  readonly applyConcurrency?: number;
  readonly store: SnapshotStore;
  readonly quarantine: Quarantine;
  readonly clock: Clock;
  readonly log: ReconcileLog;
  /** How long to wait for another stow process holding the host lock (default 10 minutes). */
  readonly lockWaitMs?: number;
  /** How long a rollback waits for a Docker engine that does not answer (default 60 s). */
  readonly engineWaitMs?: number;
  /** Snapshots kept besides running and previous (default 5). */
  readonly keepSnapshots?: number;
  /** The durable history every reconcile but a dry run is recorded in (`openHistory(stateDir)`). */
  readonly history: HistoryStore;
  /** How long the failure forensics of one reconcile may take in all (default 15 s). */
  readonly forensicsTimeoutMs?: number;
}

/**
 * Why this reconcile runs. Automatic runs ('start', 'poll') never retry a quarantined deployment hash:
 * they keep the running deployment and repair its drift. An explicit trigger ('trigger') or an
 * operator ('manual' = `stow reconcile`) retries it.
 */
export type ReconcileTrigger = 'poll' | 'start' | 'trigger' | 'manual';

/** What a reconcile is about to apply: enough for the daemon to report it (GitLab, notifications). */
export interface ApplyTarget {
  readonly gitRevision: string;
  readonly deploymentHash: string;
  /** stow.yaml's deployment.name, deployment.environment and deployment.daemonBaseUrl. */
  readonly deploymentName?: string;
  readonly environment?: string | undefined;
  readonly daemonBaseUrl?: string | undefined;
}

export interface ReconcileRequest {
  readonly trigger: ReconcileTrigger;
  /** A specific commit instead of the default branch head (`stow reconcile --rev`). */
  readonly revision?: string;
  /** Plan only: download, decrypt, hash, observe and plan; change nothing. */
  readonly dryRun?: boolean;
  /** Called once the target is known, before applying: lets the daemon report `reconciling`. */
  readonly onTarget?: (target: ApplyTarget) => void;
}
