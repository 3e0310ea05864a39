import { DockerPlannerError } from './errors.js';
import { hashLabelValue, LABEL_DEPLOYMENT, LABEL_HASH, LABEL_JOB, shortHash } from './labels.js';

export interface NetworkSpec {
  readonly internal?: boolean | undefined;
  readonly driver?: string | undefined;
}

export interface DesiredState {
  readonly deploymentName: string;
  readonly deploymentHash: string;
  /** Container names in manifest order. */
  readonly containers: readonly string[];
  readonly networks: Readonly<Record<string, NetworkSpec | null | undefined>>;
}

export interface ActualContainer {
  readonly id: string;
  /** Without the leading `/`. */
  readonly name: string;
  /** `State` of the list call = `State.Status` of inspect: created|running|paused|restarting|removing|exited|dead. */
  readonly state: string;
  readonly labels: Readonly<Record<string, string>>;
  /** From the list call's Status text, "(healthy)" etc.; undefined without a healthcheck. */
  readonly health?: 'healthy' | 'unhealthy' | 'starting';
}

export interface ActualNetwork {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ActualState {
  readonly containers: readonly ActualContainer[];
  readonly networks: readonly ActualNetwork[];
}

export type ContainerAction = 'noop' | 'replace' | 'delete';

export interface PlannedContainer {
  readonly container: string;
  readonly action: ContainerAction;
  readonly reason: string;
  /** The container now holding the name (replace, delete, noop). */
  readonly existingId?: string;
}

export interface NetworkToCreate {
  readonly name: string;
  readonly internal: boolean;
  readonly driver: string | undefined;
}

export interface Plan {
  readonly deploymentName: string;
  /** Desired containers first (manifest order), then deletes (by name). */
  readonly actions: readonly PlannedContainer[];
  readonly networksToCreate: readonly NetworkToCreate[];
  readonly networksToPrune: ReadonlyArray<{ readonly name: string; readonly id: string }>;
  /** Every container noop and no network to create or prune. */
  readonly unchanged: boolean;
}

/**
 * Decides what Docker must do (SPEC section 7). Pure. Throws DockerPlannerError NAME_CONFLICT when a
 * desired container or network name is held by something not labelled with this deployment.
 */
export function plan(desired: DesiredState, actual: ActualState): Plan {
  const { deploymentName } = desired;
  const wantedHash = hashLabelValue(desired.deploymentHash);
  const byName = new Map(actual.containers.map((c) => [c.name, c]));
  const conflicts: string[] = [];
  const conflictContainers: string[] = [];
  const actions: PlannedContainer[] = [];

  for (const name of desired.containers) {
    const existing = byName.get(name);
    if (!existing) {
      actions.push({ container: name, action: 'replace', reason: 'missing' });
      continue;
    }
    const owner = existing.labels[LABEL_DEPLOYMENT];
    if (owner !== deploymentName) {
      conflictContainers.push(name);
      conflicts.push(
        `container ${name} (${existing.id.slice(0, 12)}) ${owner === undefined ? 'is not managed by stow' : `belongs to deployment ${owner}`}`,
      );
      continue;
    }
    const reason = replaceReason(existing, wantedHash);
    actions.push(
      reason === undefined
        ? { container: name, action: 'noop', reason: 'up to date', existingId: existing.id }
        : { container: name, action: 'replace', reason, existingId: existing.id },
    );
  }

  const wanted = new Set(desired.containers);
  const deletes = actual.containers
    // A job container (stow.job) is the job runner's, never a container to delete.
    .filter(
      (c) =>
        c.labels[LABEL_DEPLOYMENT] === deploymentName &&
        c.labels[LABEL_JOB] === undefined &&
        !wanted.has(c.name),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(
      (c): PlannedContainer => ({
        container: c.name,
        action: 'delete',
        reason: 'not in stow.yaml',
        existingId: c.id,
      }),
    );

  const networksByName = new Map(actual.networks.map((n) => [n.name, n]));
  const networksToCreate: NetworkToCreate[] = [];
  for (const [name, spec] of Object.entries(desired.networks)) {
    const existing = networksByName.get(name);
    if (!existing) {
      networksToCreate.push({ name, internal: spec?.internal ?? false, driver: spec?.driver });
    } else if (existing.labels[LABEL_DEPLOYMENT] !== deploymentName) {
      const owner = existing.labels[LABEL_DEPLOYMENT];
      conflicts.push(
        `network ${name} ${owner === undefined ? 'is not managed by stow' : `belongs to deployment ${owner}`}`,
      );
    }
  }
  const networksToPrune = actual.networks
    .filter((n) => n.labels[LABEL_DEPLOYMENT] === deploymentName && !(n.name in desired.networks))
    .map((n) => ({ name: n.name, id: n.id }));

  if (conflicts.length > 0) {
    throw new DockerPlannerError(
      'NAME_CONFLICT',
      `deployment ${deploymentName}: ${conflicts.join('; ')}; remove or rename it (stow never touches what it does not own)`,
      conflictContainers[0] === undefined ? {} : { container: conflictContainers[0] },
    );
  }
  const all = [...actions, ...deletes];
  return {
    deploymentName,
    actions: all,
    networksToCreate,
    networksToPrune,
    unchanged:
      all.every((a) => a.action === 'noop') && networksToCreate.length === 0 && networksToPrune.length === 0,
  };
}

function replaceReason(existing: ActualContainer, wantedHash: string): string | undefined {
  const hash = existing.labels[LABEL_HASH];
  if (hash !== wantedHash) return `stale hash ${shortHash(hash)} -> ${shortHash(wantedHash)}`;
  switch (existing.state) {
    case 'running':
      return undefined;
    case 'restarting':
    case 'paused':
    case 'removing':
      return existing.state;
    default:
      return `stopped (${existing.state})`;
  }
}
