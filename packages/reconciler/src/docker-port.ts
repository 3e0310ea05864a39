import type { StowManifest } from '@stow/manifest';
import type { ReconcileLog } from './reconcile-log.js';

/** What Docker should run: a manifest from a snapshot, or nothing at all (after a failed first deploy). */
export interface TargetDeployment {
  readonly deploymentName: string;
  readonly deploymentHash: string;
  /** undefined: remove every container and network of this deployment. */
  readonly manifest: StowManifest | undefined;
  /** Bind-mount sources and env files resolve here: the snapshot directory itself, never the symlink. */
  readonly snapshotDir: string | undefined;
}

export interface PlannedAction {
  readonly container: string;
  readonly action: 'noop' | 'replace' | 'delete';
  readonly reason: string;
}

export interface DockerPlan {
  readonly actions: readonly PlannedAction[];
  /** Nothing to do at all: every container noop, no network to create or prune. */
  readonly unchanged: boolean;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The Docker side of a reconcile (SPEC sections 7 and 8), implemented on the planner and verifier. */
export interface DockerSteps {
  /** Observes the engine and plans the target against it (pure planning over one observation). */
  plan(target: TargetDeployment): Promise<DockerPlan>;
  /** Pulls first, then networks, stop/remove, create/start, prune; throws on the first failure. */
  apply(plan: DockerPlan, target: TargetDeployment, log: ReconcileLog): Promise<void>;
  /** Waits for the stable window of the target's verify settings (SPEC section 8). */
  verify(target: TargetDeployment, log: ReconcileLog): Promise<VerifyResult>;
}
